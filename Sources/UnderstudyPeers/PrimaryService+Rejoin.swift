import Foundation
import NIOCore
import UnderstudyCore
import UnderstudyDelta
import UnderstudyFileSystem
import UnderstudyRejoin
import UnderstudyReplication
import UnderstudySession
import UnderstudySupport
import UnderstudyTransport
import UnderstudyWire

/// The serving node's half of a rejoin: it shows its tree and the base of the epoch, and takes conflict copies
/// into its tree — only under conflict-copy names, never over an existing file.
extension PrimaryService {
    func serveRejoin(peer: String, group: String, share: String, epoch: UInt64, writer: FrameWriter) async throws {
        guard let context = servedContext(group: group, share: share, peer: peer) else {
            try await writer.send(.error(code: .unknownShare, message: refusal(group: group, share: share, peer: peer)))
            try await writer.flush()
            return
        }
        guard let ownership = node.ownership(group: group), ownership.epoch == epoch else {
            let now = node.ownership(group: group).map { "\($0)" } ?? "unknown"
            try await writer.send(
                .error(
                    code: .unexpectedMessage,
                    message: "group \(group) is at \(now), not epoch \(epoch); reconnect to learn it"))
            try await writer.flush()
            return
        }
        let path = context.localPath
        let filter = context.share.filter
        let index = context.index
        let scan = try await onThread {
            try TreeScanner(filter: filter, index: index).scan(try ShareDirectory(path: path, create: false))
        }
        let current = scan.entries
        if !scan.temporaries.isEmpty {
            // Left by a conflict copy whose receiving was cut short by a crash of this node: never a visible file.
            node.logger.notice(
                "rejoin of \(context.key) by \(peer): removing \(scan.temporaries.count) temporaries left by an interrupted transfer"
            )
            try ReplicaWriter(
                share: try ShareDirectory(path: path, create: false),
                options: ReplicaWriter.Options(applyOwnership: false)
            )
            .removeTemporaries(scan.temporaries)
        }
        try recordUnrecordedCopies(of: peer, in: current, context: context)
        let base = try RejoinBase.load(context, epoch: epoch)
        if base == nil {
            node.logger.warning(
                "rejoin of \(context.key) by \(peer): no base recorded for epoch \(epoch); every file that differs on \(peer) is kept as a conflict"
            )
        }
        node.logger.notice(
            "rejoin of \(context.key) by \(peer) at epoch \(epoch): sending this tree (\(current.count) entries) and the base (\(base?.count ?? 0))"
        )
        try await ManifestTransfer.send(current, writer: writer)
        try await ManifestTransfer.send(base ?? [], writer: writer)
    }

    func receiveConflictCopy(
        peer: String, group: String, share: String, reason: String, header: FileHeader,
        iterator: inout NIOAsyncChannelInboundStream<PeerMessage>.AsyncIterator, writer: FrameWriter
    ) async throws {
        guard let context = servedContext(group: group, share: share, peer: peer) else {
            let text = refusal(group: group, share: share, peer: peer)
            try await writer.send(.error(code: .unknownShare, message: text))
            try await writer.flush()
            throw PeerSessionError.refused(text)
        }
        // Performs `ConflictCopyMachine`'s actions: the copy goes to a temporary, is recorded before it is linked
        // into the tree (a crash in between leaves a record whose copy the peer pushes again, never a copy nobody
        // lists), and is confirmed only once in place.
        var (machine, queue) = ConflictCopyMachine.begin(header: header, reason: reason)
        var incoming: IncomingFile?
        var replicaWriter: ReplicaWriter?
        defer { if !machine.isFinished { incoming?.discard() } }
        var actions = queue[...]
        while true {
            while let action = actions.popFirst() {
                switch action {
                case .send(let message):
                    try await writer.send(message)
                case .flush:
                    try await writer.flush()
                case .begin(let plain):
                    let directory = try ShareDirectory(path: context.localPath, create: false)
                    var options = ReplicaWriter.Options(applyOwnership: node.identity.appliesOwnership)
                    options.partialThreshold = .max
                    replicaWriter = try ReplicaWriter(share: directory, options: options)
                    incoming = try IncomingFile(
                        header: plain, share: directory, partialThreshold: .max, decompressor: try ZstdDecompressor())
                case .receive(let chunk, let compressed):
                    guard let file = incoming else { continue }
                    try chunk.withUnsafeReadableBytes { raw throws(FileSystemError) in
                        try file.receive(raw, compressed: compressed)
                    }
                case .keep(let copy, let hash):
                    do {
                        guard let file = incoming, let replicaWriter else {
                            throw PeerSessionError.refused("a conflict copy ended before it began")
                        }
                        _ = try file.finish(expectedHash: hash, writer: replicaWriter)
                        try record(copy, of: peer, reason: reason, context: context)
                        try file.commitNew()
                        actions = machine.kept()[...] + actions
                    } catch {
                        incoming?.discard()
                        let inPlace = Self.sameFile(directory: context.localPath, header: copy)
                        actions = machine.keepFailed(alreadyInPlace: inPlace, reason: "\(error)")[...] + actions
                    }
                case .discard:
                    incoming?.discard()
                    incoming = nil
                case .accepted(let copy, let reason):
                    try record(copy, of: peer, reason: reason, context: context)
                    let original = ConflictName.original(of: copy.path)
                    node.logger.warning(
                        "conflict in \(context.key): \(peer)'s version of \(original) is kept beside it as \(copy.path) (\(reason))"
                    )
                    node.event(
                        .warning, .conflict, "\(peer)'s version of \(original) kept as \(copy.path) (\(reason))",
                        share: context.key)
                    node.conflictFound(
                        ConflictFound(share: context.key, path: original, copy: copy.path, node: peer, reason: reason))
                case .end(let error):
                    throw error
                }
            }
            if machine.isFinished { return }
            guard let message = try await iterator.next() else { throw PeerSessionError.closed(machine.stage) }
            actions = machine.receive(message)[...]
        }
    }

    /// Records a conflict copy taken into the serving tree (once per copy: a repeated record changes nothing).
    private func record(_ header: FileHeader, of peer: String, reason: String, context: ShareContext) throws {
        try node.database.recordConflict(
            ConflictInfo(
                id: 0, share: context.key, path: ConflictName.original(of: header.path), copy: header.path, node: peer,
                reason: reason,
                foundAt: node.clock.wallTime(), copySize: header.size,
                copyModified: header.attributes.modified))
    }

    /// Copies of `peer` in this tree that no record lists (see `UnrecordedConflicts`) are recorded now, before the peer
    /// decides what to push: it never pushes a copy this tree has, so nothing else would record them.
    private func recordUnrecordedCopies(of peer: String, in entries: [ManifestEntry], context: ShareContext) throws {
        let recorded = Set(
            try node.database.conflicts(prefix: context.key, all: true).filter { $0.share == context.key }.map(\.copy))
        let found = UnrecordedConflicts.find(in: entries, recorded: recorded, peer: peer)
        guard !found.isEmpty else { return }
        node.logger.warning(
            "rejoin of \(context.key) by \(peer): \(found.count) conflict copies of \(peer) were in this tree without a record (an interrupted earlier rejoin); recording them"
        )
        for entry in found {
            try record(
                FileHeader(path: entry.path, size: entry.size, attributes: entry.attributes, basis: .none), of: peer,
                reason: "found unrecorded", context: context)
        }
    }

    /// The conflict copy is in place already with the announced size and time (a retried push).
    private static func sameFile(directory: String, header: FileHeader) -> Bool {
        var info = stat()
        guard lstat(directory + "/" + header.path, &info) == 0 else { return false }
        return Int64(info.st_size) == header.size && Int64(info.st_mtim.tv_sec) == header.attributes.mtimeSeconds
    }
}
