#if canImport(Glibc)
import Glibc
#endif
import Foundation
import UnderstudyCore

/// Whether the standby may mirror into a replica directory. The first sync makes the replica equal to the source, so
/// it deletes whatever else is there: a `replica` pointed by mistake at a directory in use (or at a symlink to one)
/// would lose its content in silence. So the standby mirrors only into a directory that is new, empty, or marked as
/// its own (`.understudy.replica` in its root: cluster and share), and refuses any other until an administrator says
/// what to do with what is there: `understudy adopt GROUP/SHARE --keep` (mirror over it) or `--move-aside`.
///
/// A replica mirrored into by a version without marks is recognized by the files its index lists, and marked.
public enum ReplicaAdoption {
    static let markerName = ".understudy.replica"

    package enum Verdict: Sendable, Equatable {
        /// Marked as this share's replica.
        case adopted
        /// Marked now: `reason` says why it could be ("new", "empty", "mirrored into before").
        case adoptedNow(String)
        /// Holds `entries` entries (first few: `sample`) and no mark: mirroring would delete what the source lacks.
        case refused(entries: Int, sample: [String])
    }

    public struct Identity: Sendable, Equatable {
        var cluster: String
        var share: String
        var node: String

        public init(cluster: String, share: String, node: String) {
            self.cluster = cluster
            self.share = share
            self.node = node
        }
    }

    /// - Parameter indexed: paths the standby's file index lists for the share (a few suffice).
    package static func check(_ path: String, identity: Identity, indexed: () -> [String]) throws -> Verdict {
        var info = stat()
        if stat(path, &info) != 0 {
            guard errno == ENOENT else { throw FileSystemError.errno("look at the replica", path) }
            try ShareDirectory.makeDirectories(path)
            try writeMarker(path, identity: identity, how: "created")
            return .adoptedNow("new")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw FileSystemError(.systemCall, operation: "the replica is not a directory", path: path)
        }
        if marker(path)?.matches(identity) == true { return .adopted }
        let entries = listing(path)
        if entries.isEmpty {
            try writeMarker(path, identity: identity, how: "empty")
            return .adoptedNow("empty")
        }
        let known = indexed().prefix(20)
        if !known.isEmpty && known.filter({ access(path + "/" + $0, F_OK) == 0 }).count * 2 >= known.count {
            try writeMarker(path, identity: identity, how: "mirrored into before marks existed")
            return .adoptedNow("mirrored into before")
        }
        return .refused(entries: entries.count, sample: Array(entries.sorted().prefix(3)))
    }

    /// `understudy adopt --keep`: mirror over what is there (files the source lacks are deleted, or kept in the
    /// history when it is on).
    package static func adoptKeeping(_ path: String, identity: Identity) throws {
        try ShareDirectory.makeDirectories(path)
        try writeMarker(path, identity: identity, how: "adopted with its content (--keep)")
    }

    /// `understudy adopt --move-aside`: renames the directory (or the symlink) to a sibling and starts an empty
    /// replica. Returns where it went.
    package static func adoptMovingAside(_ path: String, identity: Identity, at time: Double) throws -> String {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        var aside = trimmed + ".understudy-aside-" + PointInTime.compact(time)
        var suffix = 1
        while access(aside, F_OK) == 0 && suffix < 1000 {
            suffix += 1
            aside = trimmed + ".understudy-aside-" + PointInTime.compact(time) + "-\(suffix)"
        }
        guard rename(trimmed, aside) == 0 else {
            throw FileSystemError.errno("move the replica aside to \(aside)", trimmed)
        }
        try ShareDirectory.makeDirectories(trimmed)
        try writeMarker(trimmed, identity: identity, how: "empty after moving the old content to \(aside)")
        return aside
    }

    /// For `check-config`: whether `path` exists, holds entries, and has a mark.
    static func inspect(_ path: String) -> (entries: Int, marked: Bool)? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return nil }
        return (listing(path).count, marker(path) != nil)
    }

    // MARK: - The mark

    package struct Marker: Equatable {
        var cluster: String
        var share: String

        package func matches(_ identity: Identity) -> Bool { cluster == identity.cluster && share == identity.share }
    }

    package static func marker(_ path: String) -> Marker? {
        guard let text = try? String(contentsOfFile: path + "/" + markerName, encoding: .utf8) else { return nil }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        guard let cluster = fields["cluster"], let share = fields["share"] else { return nil }
        return Marker(cluster: cluster, share: share)
    }

    /// Marks `path` as the replica of `identity`'s share (a seed adopted into place).
    package static func mark(_ path: String, identity: Identity, how: String) throws {
        try writeMarker(path, identity: identity, how: how)
    }

    private static func writeMarker(_ path: String, identity: Identity, how: String) throws {
        let text = """
            # understudy mirrors share \(identity.share) of cluster \(identity.cluster) into this directory (node \(identity.node)).
            # The first sync made it equal to the source; do not keep other files here. Removing this file makes the
            # standby refuse the directory until `understudy adopt \(identity.share)` says what to do.
            cluster=\(identity.cluster)
            share=\(identity.share)
            node=\(identity.node)
            since=\(ISO8601DateFormatter().string(from: Date()))
            how=\(how)

            """
        let directory = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw FileSystemError.errno("open the replica", path) }
        defer { close(directory) }
        let temporary = ReplicaWriter.temporaryName()
        let fd = openat(directory, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError.errno("write the replica's mark in", path) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, renameat(directory, temporary, directory, markerName) == 0 else {
            unlinkat(directory, temporary, 0)
            throw FileSystemError.errno("write the replica's mark in", path)
        }
        _ = fsync(directory)
    }

    /// The root's entries other than our own (`.understudy.*`).
    private static func listing(_ path: String) -> [String] {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        return (DirectoryEntry.read(fd) ?? []).filter { !$0.hasReservedPrefix }.map(\.displayName)
    }
}

/// What `check-config` says about the replicas it finds on this machine.
public enum ReplicaAdvice {
    /// A warning for each replica directory here that holds files but no mark that understudy mirrored into it.
    public static func warnings(_ configuration: ClusterConfiguration) -> [String] {
        var warnings: [String] = []
        for group in configuration.groups.values.sorted(by: { $0.name < $1.name }) {
            for share in group.shares {
                guard let (entries, marked) = ReplicaAdoption.inspect(share.replica), entries > 0, !marked else {
                    continue
                }
                warnings.append(
                    "replica \(share.replica) of \(group.name)/\(share.name) holds \(entries) entries but no mark that understudy mirrored into it: unless an understudy older than marks mirrored into it (then it is recognized at start), \(group.standby) will not sync into it until you run `understudy adopt \(group.name)/\(share.name) --keep` (mirror over it; files the source lacks are deleted) or `--move-aside`"
                )
            }
        }
        return warnings
    }
}

/// What `check-config` says of the room for the replicas it finds on this machine (`ReplicaCapacity`): each file
/// system holding replicas here, judged by what is free on it now. What syncs under way still have to write is known
/// only to the running daemon; `check-config` asks it too when it runs here.
public enum CapacityAdvice {
    public static func warnings(_ configuration: ClusterConfiguration) -> [String] {
        var uses: [UInt64: ReplicaCapacity.FileSystemUse] = [:]
        var order: [UInt64] = []
        for group in configuration.groups.values.sorted(by: { $0.name < $1.name }) {
            for share in group.shares {
                // A replica whose directory (or whose parent) is not on this machine belongs to another one.
                let parent = (share.replica as NSString).deletingLastPathComponent
                guard access(share.replica, F_OK) == 0 || access(parent, F_OK) == 0,
                    let space = try? FileSystemSpace.of(share.replica)
                else { continue }
                if uses[space.fileSystemID] == nil {
                    order.append(space.fileSystemID)
                    uses[space.fileSystemID] = ReplicaCapacity.FileSystemUse(
                        replicas: [], totalBytes: space.totalBytes, availableBytes: space.availableBytes,
                        usedByReplicas: space.totalBytes - space.availableBytes, pendingBytes: 0)
                }
                uses[space.fileSystemID]?.replicas.append("\(group.name)/\(share.name) (\(share.replica))")
            }
        }
        return ReplicaCapacity.warnings(order.compactMap { uses[$0] })
    }
}
