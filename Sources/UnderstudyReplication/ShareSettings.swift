import Synchronization
import UnderstudyCore

/// The configuration of one share and its group as the running node knows it, shared by every copy of the share's
/// `ShareContext`: a reload that changes what the node takes in place (patterns, archive schedules, intervals,
/// limits) sets it once, and each part reads the new values the next time it looks. The names never change here:
/// a share or group renamed is another one.
package final class ShareSettings: Sendable {
    private let current: Mutex<(group: GroupConfiguration, share: ShareConfiguration)>

    package init(group: GroupConfiguration, share: ShareConfiguration) {
        current = Mutex((group, share))
    }

    package var group: GroupConfiguration { current.withLock { $0.group } }
    package var share: ShareConfiguration { current.withLock { $0.share } }

    /// Takes `group`'s configuration, and this share's within it (by name), from a reloaded file.
    package func update(group: GroupConfiguration) {
        current.withLock { current in
            precondition(group.name == current.group.name, "a share's settings follow their own group")
            if let share = group.shares.first(where: { $0.name == current.share.name }) { current.share = share }
            current.group = group
        }
    }
}
