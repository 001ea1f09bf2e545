import NIOCore
import UnderstudyCore
import UnderstudySession
import UnderstudyWire

/// A source tree in memory behind the primary's file-system protocol (`SourceFiles`), so the primary's sends run
/// through the same `PlanSendRunner` as on disk. A delta is the replica's signature (the hash of its copy) followed
/// by the whole new content (see `MemoryReplica`).
final class MemorySource: SourceFiles {
    let tree: MemoryTree
    /// What the source was told and asked, in order: "will send a, b" and "send a".
    private(set) var calls: [String] = []

    init(_ tree: MemoryTree) { self.tree = tree }

    func willSend(_ paths: [String]) {
        calls.append("will send " + paths.joined(separator: ", "))
    }

    func send(
        path: String, basis: DeltaBasis, signature: [UInt8]?, emit: (PeerMessage) async throws -> Void,
        progress: (Int64) -> Void
    ) async throws -> SentFile<Void> {
        calls.append("send " + path)
        guard let node = tree[path], node.kind == .file else { return .skipped(reason: "not a file") }
        let header = FileHeader(
            path: path, size: Int64(node.content.count), attributes: node.attributes,
            basis: signature == nil ? .none : basis)
        try await emit(.fileBegin(header))
        try await emit(.fileChunk(ByteBuffer(bytes: (signature ?? []) + node.content)))
        progress(Int64(node.content.count))
        let hash = MemoryTree.hash(node.content)
        try await emit(.fileEnd(contentHash: hash))
        return .sent(hash: hash, receipt: ())
    }
}

/// The primary's sending host in memory: nothing told (the pair sees what was sent in the messages).
final class MemorySendHost: PlanSendHost {
    func progress(bytes: Int64) {}
    func sent(path: String, hash: [UInt8], receipt: Void) {}
    func abandoned(path: String, reason: String) {}
    func skipped(path: String, reason: String) {}
    func sentWhole(path: String) {}
    func stepDone() {}
}
