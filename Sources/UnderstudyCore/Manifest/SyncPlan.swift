/// The ordered operations that bring a replica to its source's state, with the totals shown as progress.
public struct SyncPlan: Sendable, Equatable {
    public var operations: [SyncOperation]

    public init(operations: [SyncOperation]) {
        self.operations = operations
    }

    public var isEmpty: Bool { operations.isEmpty }

    /// Files whose content crosses the wire (whole or as a delta).
    public var filesToSend: Int {
        operations.reduce(0) { count, op in
            if case .sendFile = op { return count + 1 }
            return count
        }
    }

    /// Logical bytes of the files to send (the wire carries less: deltas and compression).
    public var bytesToSend: Int64 {
        operations.reduce(0) { total, op in
            if case .sendFile(_, let size, _) = op { return total + size }
            return total
        }
    }

    public var summary: SyncPlanSummary {
        var summary = SyncPlanSummary()
        for op in operations {
            switch op {
            case .removeTree, .delete: summary.deletions += 1
            case .makeDirectory: summary.directories += 1
            case .rename: summary.renames += 1
            case .sendFile(_, let size, let basis):
                summary.files += 1
                summary.bytes += size
                if basis != .none { summary.deltas += 1 }
            case .makeSymlink: summary.symlinks += 1
            case .makeHardLink: summary.hardLinks += 1
            case .setAttributes, .setDirectoryAttributes: summary.attributeUpdates += 1
            }
        }
        return summary
    }
}

public struct SyncPlanSummary: Sendable, Equatable, Codable {
    public var files: Int = 0
    public var bytes: Int64 = 0
    public var deltas: Int = 0
    public var directories: Int = 0
    public var symlinks: Int = 0
    public var hardLinks: Int = 0
    public var renames: Int = 0
    public var deletions: Int = 0
    public var attributeUpdates: Int = 0

    public init() {}

    public var operationCount: Int {
        files + directories + symlinks + hardLinks + renames + deletions + attributeUpdates
    }

    /// The plans of two slices of one comparison together.
    public static func + (lhs: SyncPlanSummary, rhs: SyncPlanSummary) -> SyncPlanSummary {
        var sum = lhs
        sum.files += rhs.files
        sum.bytes += rhs.bytes
        sum.deltas += rhs.deltas
        sum.directories += rhs.directories
        sum.symlinks += rhs.symlinks
        sum.hardLinks += rhs.hardLinks
        sum.renames += rhs.renames
        sum.deletions += rhs.deletions
        sum.attributeUpdates += rhs.attributeUpdates
        return sum
    }
}
