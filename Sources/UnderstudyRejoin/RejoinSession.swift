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
import UnderstudyTransport
import UnderstudyWire

/// The rejoining node's half: before a node whose tree was the live data follows the node that holds the group
/// now, each share is reconciled once per epoch. Its own versions that the serving node never had are renamed to
/// conflict copies here and pushed into the serving tree; only then does the ordinary follow make this tree equal
/// to the serving one, which can then overwrite or delete only what did not change here.
///
/// Every step can be repeated: a crash leaves renamed copies (found again by name and pushed), a copy pushed
/// twice is taken once, and the share is marked done only after all its copies are durable there.
package struct RejoinSession {
    let node: any RejoinNode
    let group: GroupConfiguration

    /// The epoch to reconcile with, nil when nothing is to be done: no takeover ever happened, or every share is
    /// reconciled with the current epoch already.
    package func pendingEpoch() throws -> UInt64? {
        guard let ownership = node.ownership(group: group.name), ownership.epoch > 0, ownership.owner != node.name
        else { return nil }
        for share in group.shares
        where (try node.database.rejoinDone(share: "\(group.name)/\(share.name)") ?? 0) < ownership.epoch {
            return ownership.epoch
        }
        return nil
    }

    package func run(inbox: PeerInbox, writer: FrameWriter) async throws {
        guard let epoch = try pendingEpoch() else { return }
        let logger = node.logger
        logger.notice(
            "group \(group.name): rejoining as the follower of \(group.peer(of: node.name)) at epoch \(epoch): reconciling this node's tree first"
        )
        node.event(
            .warning, .rejoinStarted,
            "group \(group.name): reconciling with \(group.peer(of: node.name)) at epoch \(epoch)")
        var total = RejoinMachine.Outcome()
        for share in group.shares {
            guard let context = node.shares[group: group.name, share: share.name] else { continue }
            if (try node.database.rejoinDone(share: context.key) ?? 0) >= epoch { continue }
            let outcome = try await reconcile(context, epoch: epoch, inbox: inbox, writer: writer)
            try node.database.markRejoinDone(share: context.key, epoch: epoch)
            logger.notice(
                "rejoin of \(context.key): \(outcome.conflicts) conflicts kept on both nodes (\(outcome.pushed) copies pushed), \(outcome.copies) files to copy back, \(outcome.deletions) to delete, \(outcome.restored) deleted here but kept there"
            )
            total.conflicts += outcome.conflicts
            total.copies += outcome.copies
            total.deletions += outcome.deletions
        }
        node.event(
            total.conflicts > 0 ? .warning : .info, .rejoinFinished,
            "group \(group.name): reconciled at epoch \(epoch): \(total.conflicts) conflicts, \(total.copies) files to copy back, \(total.deletions) deletions"
        )
    }

    /// Performs `RejoinMachine`'s actions for one share: the trees come in, this node's versions the serving node
    /// never had become conflict copies here, and each is pushed there.
    private func reconcile(
        _ context: ShareContext, epoch: UInt64, inbox: PeerInbox, writer: FrameWriter
    ) async throws -> RejoinMachine.Outcome {
        var machine = try RejoinMachine(group: group.name, share: context.share.name, epoch: epoch, node: node.name)
        let root = context.localPath
        var queue = machine.start()[...]
        while true {
            while let action = queue.popFirst() {
                switch action {
                case .send(let message):
                    try await writer.send(message)
                case .flush:
                    try await writer.flush()
                case .scanLocal:
                    let (local, reasons, unmade) = try await scanLocal(context)
                    queue =
                        machine.scanned(
                            local, recordedReasons: reasons, unmadeCopies: unmade, now: node.clock.wallSeconds())[...]
                        + queue
                case .keepAsConflict(let conflict, let copy):
                    // Recorded before the rename: a crash after it finds the copy by name and knows why it exists.
                    try node.database.recordConflict(
                        ConflictInfo(
                            id: 0, share: context.key, path: conflict.path, copy: copy, node: node.name,
                            reason: conflict.reason.rawValue,
                            foundAt: node.clock.wallTime(), copySize: conflict.local.size,
                            copyModified: Self.date(conflict.local.attributes)))
                    try Self.renameDurably(root: root, from: conflict.path, to: copy)
                    node.logger.warning(
                        "rejoin of \(context.key): \(conflict.path) changed here and is not the serving node's version (\(conflict.reason.rawValue)): kept as \(copy)"
                    )
                case .push(let path, let entry, let reason):
                    try await push(path, entry: entry, reason: reason, context: context, writer: writer)
                case .pushed(let path):
                    node.logger.notice(
                        "rejoin of \(context.key): \(path) is kept in \(group.peer(of: node.name))'s tree")
                case .finished(let outcome):
                    return outcome
                }
            }
            guard let message = try await inbox.next() else { throw PeerSessionError.closed(machine.stage) }
            queue = try machine.receive(message)[...]
        }
    }

    /// This node's tree, with what an interrupted run recorded: why each copy it made exists, and the copies whose
    /// rename never happened.
    private func scanLocal(
        _ context: ShareContext
    ) async throws -> ([String: ManifestEntry], [String: String], [String: String]) {
        let root = context.localPath
        let filter = context.share.filter
        let index = context.index.snapshot
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
        return (local, reasons, unmade)
    }

    /// Sends one conflict copy whole (compressed); the machine waits until the serving node has it durably.
    private func push(
        _ path: String, entry: ManifestEntry, reason: String, context: ShareContext, writer: FrameWriter
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
        try await writer.send(
            .conflictBegin(
                group: group.name, share: context.share.name, reason: reason,
                header: FileHeader(path: path, size: Int64(info.st_size), attributes: attributes, basis: .none)))
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
            if chunk.readableBytes > 0 { try await writer.send(.fileChunk(chunk)) }
            sent += Int64(count)
            if count == 0 { break }
        }
        guard sent == Int64(info.st_size) else {
            throw FileSystemError(
                .contentMismatch, operation: "changed while it was sent (\(sent) of \(info.st_size) bytes)", path: path)
        }
        try await writer.send(.fileEnd(contentHash: Array(hasher.finalize())))
        try await writer.flush()
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

    private static func date(_ attributes: FileAttributes) -> Date {
        Date(timeIntervalSince1970: Double(attributes.mtimeSeconds) + Double(attributes.mtimeNanoseconds) / 1e9)
    }

    package init(node: any RejoinNode, group: GroupConfiguration) {
        self.node = node
        self.group = group
    }
}
