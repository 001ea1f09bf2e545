import UnderstudyCore

/// A change of the node that holds a group, as this node stored it.
public struct HolderChange: Sendable, Equatable {
    public var group: String
    public var ownership: GroupOwnership

    public init(group: String, ownership: GroupOwnership) {
        self.group = group
        self.ownership = ownership
    }
}

/// Every change of a group's holder (`OwnershipTable.changes`).
public typealias HolderChanges = Broadcast<HolderChange>
