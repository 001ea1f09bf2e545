/// Who holds a group: the epoch and the node that took it at that epoch. Every takeover raises the epoch, and
/// the node with the highest epoch is the group's primary; a node that meets a higher one steps down.
public struct GroupOwnership: Sendable, Hashable, CustomStringConvertible {
    public var epoch: UInt64
    public var owner: String

    public init(epoch: UInt64, owner: String) {
        self.epoch = epoch
        self.owner = owner
    }

    /// Before any takeover the configured primary holds epoch 0.
    public static func initial(of group: GroupConfiguration) -> GroupOwnership {
        GroupOwnership(epoch: 0, owner: group.primary)
    }

    /// True when `self` wins over `other`: a higher epoch; at the same epoch with different owners (two takeovers
    /// that could not see each other) the owner whose name sorts first, so both nodes agree without talking.
    public func supersedes(_ other: GroupOwnership) -> Bool {
        if epoch != other.epoch { return epoch > other.epoch }
        return owner != other.owner && owner < other.owner
    }

    /// The ownership a takeover by `node` creates.
    public func takenOver(by node: String) -> GroupOwnership {
        GroupOwnership(epoch: epoch + 1, owner: node)
    }

    public var description: String { "epoch \(epoch) (\(owner))" }
}
