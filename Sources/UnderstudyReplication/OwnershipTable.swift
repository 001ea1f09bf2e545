import NIOConcurrencyHelpers
import UnderstudyCore

/// Who holds each group, as this node knows it (the state database keeps it; this is the copy every part reads),
/// and the news of each change of holder. Setting a group's ownership also sets this node's role in the status.
package final class OwnershipTable: Sendable {
    private let node: String
    private let configuration: ClusterConfiguration
    private let status: StatusRegistry
    private let table = NIOLockedValueBox<[String: GroupOwnership]>([:])
    /// Each change of a group's holder (the daemon starts or stops serving and following on it).
    package let changes = HolderChanges()

    package init(node: String, configuration: ClusterConfiguration, status: StatusRegistry) {
        self.node = node
        self.configuration = configuration
        self.status = status
    }

    package func ownership(group: String) -> GroupOwnership? {
        table.withLockedValue { $0[group] }
    }

    /// True when this node holds `group` by epoch.
    package func owns(group: String) -> Bool {
        ownership(group: group)?.owner == node
    }

    /// Records `ownership` of `group`; a new holder is published on `changes`.
    package func set(_ ownership: GroupOwnership, group: String) {
        let before = table.withLockedValue { $0.updateValue(ownership, forKey: group) }
        guard let configured = configuration.groups[group] else { return }
        let role: GroupRole =
            ownership.owner == node
            ? .primary
            : configured.offsite == node
                ? .offsite : configured.primary == node && ownership.epoch > 0 ? .steppedDown : .standby
        status.update(group: group) { $0.role = role }
        if before.map({ $0.owner != ownership.owner }) ?? false {
            changes.publish(HolderChange(group: group, ownership: ownership))
        }
    }
}
