/// Whether a standby's file systems can hold its replicas (pure): the capacity rule that `status` and `check-config`
/// tell. The replicas of several groups (several primaries) often share one file system; each is judged as a whole.
public enum ReplicaCapacity {
    /// One file system holding replicas of this node.
    public struct FileSystemUse: Sendable, Equatable {
        /// The replicas on it, as "group/share (path)".
        public var replicas: [String]
        public var totalBytes: Int64
        public var availableBytes: Int64
        /// What the replicas there hold now, as their indexes know (archives share unchanged files with them); 0 when
        /// not known.
        public var usedByReplicas: Int64
        /// What syncs under way still have to write there.
        public var pendingBytes: Int64

        public init(
            replicas: [String], totalBytes: Int64, availableBytes: Int64, usedByReplicas: Int64,
            pendingBytes: Int64
        ) {
            self.replicas = replicas
            self.totalBytes = totalBytes
            self.availableBytes = availableBytes
            self.usedByReplicas = usedByReplicas
            self.pendingBytes = pendingBytes
        }
    }

    /// Below this share of its size left free (after the syncs under way), a file system is "nearly full".
    public static let lowFreeShare = 0.10

    /// A warning for each file system that cannot hold what its syncs under way still have to write, or that would
    /// be left with less than a tenth of its size free.
    public static func warnings(_ uses: [FileSystemUse]) -> [String] {
        uses.compactMap { use in
            guard use.totalBytes > 0 else { return nil }
            let names = use.replicas.joined(separator: ", ")
            let holding =
                "\(use.usedByReplicas > 0 ? "the replicas there hold \(ByteCount.format(use.usedByReplicas)); " : "")\(ByteCount.format(use.availableBytes)) of \(ByteCount.format(use.totalBytes)) are free"
            if use.pendingBytes > use.availableBytes {
                return
                    "the file system of \(names) cannot hold the replicas at their sources' sizes: the syncs under way still have \(ByteCount.format(use.pendingBytes)) to write and \(holding); when it fills, the group whose write fails stops mirroring until there is room. Make room, or move a replica to another file system"
            }
            let left = use.availableBytes - use.pendingBytes
            guard Double(left) < lowFreeShare * Double(use.totalBytes) else { return nil }
            let percent = Int((100 * Double(use.totalBytes - left) / Double(use.totalBytes)).rounded())
            return
                "the file system of \(names) is \(percent) % full\(use.pendingBytes > 0 ? " once the syncs under way end (\(ByteCount.format(use.pendingBytes)) to write)" : ""): \(holding); changes, archives and history need room to grow. Make room, or move a replica to another file system"
        }
    }
}
