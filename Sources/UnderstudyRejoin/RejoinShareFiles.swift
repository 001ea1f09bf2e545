#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import NIOCore
import UnderstudyCore
import UnderstudyDelta
import UnderstudyFileSystem
import UnderstudyReplication
import UnderstudySession
import UnderstudySupport
import UnderstudyWire

/// One share's tree on disk as a rejoin uses it (`RejoinFiles`): scanned with `TreeScanner`, with the conflicts an
/// earlier run recorded in the state database; a conflict copy is recorded there before its rename, and the rename
/// made durable; a copy is pushed whole, compressed.
final class RejoinShareFiles: RejoinFiles {
    let node: any RejoinNode
    let context: ShareContext

    init(node: any RejoinNode, context: ShareContext) {
        self.node = node
        self.context = context
    }

    func scanLocal() async throws -> RejoinScan {
        let root = context.localPath
        let filter = context.share.filter
        let index = context.index
        let scanned = try await onThread {
            try TreeScanner(filter: filter, index: index).scan(try ShareDirectory(path: root, create: true))
        }
        let local = Dictionary(scanned.entries.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        let recorded = try node.database.conflicts(prefix: context.key, all: true).filter {
            $0.share == context.key && $0.node == node.name
        }
        let reasons = Dictionary(recorded.map { ($0.copy, $0.reason) }, uniquingKeysWith: { first, _ in first })
        let unmade = Dictionary(
            recorded.filter { $0.resolved == nil && local[$0.copy] == nil && access(root + "/" + $0.copy, F_OK) != 0 }
                .map { ($0.path, $0.copy) }, uniquingKeysWith: { first, _ in first })
        return RejoinScan(local: local, recordedReasons: reasons, unmadeCopies: unmade)
    }

    func keep(_ conflict: RejoinPlanner.Conflict, as copy: String) throws {
        // Recorded before the rename: a crash after it finds the copy by name and knows why it exists.
        try node.database.recordConflict(
            ConflictInfo(
                id: 0, share: context.key, path: conflict.path, copy: copy, node: node.name,
                reason: conflict.reason.rawValue,
                foundAt: node.clock.wallTime(), copySize: conflict.local.size,
                copyModified: conflict.local.attributes.modified))
        try Self.renameDurably(root: context.localPath, from: conflict.path, to: copy)
    }

    /// Sends one conflict copy whole (compressed); the machine waits until the serving node has it durably.
    func push(
        path: String, entry: ManifestEntry, reason: String, emit: (SessionOutput) async throws -> Void
    ) async throws {
        let file = context.localPath + "/" + path
        let descriptor = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemError.errno("open the conflict copy", path) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileSystemError.errno("stat the conflict copy", path) }
        var attributes = entry.attributes
        attributes.mtimeSeconds = Int64(info.st_mtim.tv_sec)
        attributes.mtimeNanoseconds = UInt32(info.st_mtim.tv_nsec)
        try await emit(
            .send(
                .conflictBegin(
                    group: context.groupName, share: context.shareName, reason: reason,
                    header: FileHeader(path: path, size: Int64(info.st_size), attributes: attributes, basis: .none))))
        let compressor = try ZstdCompressor(level: 3)
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var sent: Int64 = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError.errno("read the conflict copy", path)
            }
            var chunk = ByteBuffer()
            try buffer.withUnsafeBytes { raw in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                hasher.update(bufferPointer: bytes)
                try compressor.compress(bytes, mode: count == 0 ? .end : .flush) { chunk.writeBytes($0) }
            }
            if chunk.readableBytes > 0 { try await emit(.send(.fileChunk(chunk))) }
            sent += Int64(count)
            if count == 0 { break }
        }
        guard sent == Int64(info.st_size) else {
            throw FileSystemError(
                .contentMismatch, operation: "changed while it was sent (\(sent) of \(info.st_size) bytes)", path: path)
        }
        try await emit(.send(.fileEnd(contentHash: Array(hasher.finalize()))))
        try await emit(.flush)
    }

    private static func renameDurably(root: String, from: String, to: String) throws {
        guard rename(root + "/" + from, root + "/" + to) == 0 else {
            throw FileSystemError.errno("keep as a conflict copy", from)
        }
        let parent = (root + "/" + to).split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(
            separator: "/")
        let directory = open(parent.isEmpty ? "/" : parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw FileSystemError.errno("open the directory of", to) }
        defer { close(directory) }
        guard fsync(directory) == 0 else { throw FileSystemError.errno("fsync the directory of", to) }
    }
}

/// What a rejoin tells on a node (`RejoinHost`): each copy kept and pushed, in the log; the node's wall clock.
struct RejoinLog: RejoinHost {
    let node: any RejoinNode
    let context: ShareContext

    func wallSeconds() -> Double { node.clock.wallSeconds() }

    func kept(_ conflict: RejoinPlanner.Conflict, as copy: String) {
        node.logger.warning(
            "rejoin of \(context.key): \(conflict.path) changed here and is not the serving node's version (\(conflict.reason.rawValue)): kept as \(copy)"
        )
    }

    func pushed(path: String) {
        node.logger.notice(
            "rejoin of \(context.key): \(path) is kept in \(node.ownership(group: context.groupName)?.owner ?? context.group.peer(of: node.name))'s tree"
        )
    }
}
