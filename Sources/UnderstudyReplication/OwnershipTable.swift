import NIOConcurrencyHelpers
import UnderstudyCore

/// Who holds each group, as this node knows it (the state database keeps it; this is the copy every part reads),
/// and the news of each change of holder. Setting a group's ownership also sets this node's role in the status.
package final class OwnershipTable: Sendable {
    private let node: String
    /// A group's configuration as the node runs it now (a reload may add or remove groups).
    private let configured: @Sendable (String) -> GroupConfiguration?
    private let status: StatusRegistry
    private let table = NIOLockedValueBox<[String: GroupOwnership]>([:])
    /// Each change of a group's holder (the daemon starts or stops serving and following on it).
    package let changes = HolderChanges()

    package init(
        node: String, status: StatusRegistry, configured: @escaping @Sendable (String) -> GroupConfiguration?
    ) {
        self.node = node
        self.configured = configured
        self.status = status
    }

    /// `group` leaves the table (a reload removed it).
    package func remove(group: String) {
        table.withLockedValue { $0[group] = nil }
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
        // A group the node no longer runs (a reload removed it) is not put back by a late report.
        guard let configured = configured(group) else { return }
        let before = table.withLockedValue { $0.updateValue(ownership, forKey: group) }
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
