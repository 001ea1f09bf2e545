import NIOCore
import UnderstudyCore
import UnderstudyDelta
import UnderstudySession
import UnderstudyWire

/// A rejoin of one share in memory: `RejoinMachine`, performed by `RejoinStepRunner` on the rejoining node's tree
/// (`MemoryRejoinFiles`, the file-system protocol in memory), against a serving node that shows its tree and the base
/// of the takeover, and takes conflict copies into its tree (only under conflict-copy names, never over an existing
/// file), as the serving node's half does.
struct RejoinExchange {
    var rejoining: MemoryTree
    var serving: MemoryTree
    /// The serving node's tree when it took the group over: what both last shared.
    var base: [ManifestEntry]
    var now: Double = 1_796_000_000
    /// Copies the rejoining node kept, by original path.
    var kept: [String: String] = [:]

    /// - Parameter tamper: replaces a message on its way to the rejoining node.
    mutating func run(tamper: (PeerMessage) -> PeerMessage = { $0 }) async throws -> RejoinMachine.Outcome {
        var machine = try RejoinMachine(group: "g", share: "s", epoch: 2, node: "alpha")
        var toServing: [PeerMessage] = []
        var toRejoining: [PeerMessage] = []
        var queue = machine.start()[...]
        var copy: (machine: ConflictCopyMachine, bytes: [UInt8])?
        // The rejoining node's steps run through the same runner as on disk, on its tree in memory.
        let files = MemoryRejoinFiles(rejoining)
        let runner = RejoinStepRunner(files: files, host: MemoryRejoinHost(now: now))
        defer {
            rejoining = files.tree
            kept.merge(files.kept) { _, new in new }
        }
        for _ in 0..<10_000 {
            if let action = queue.popFirst() {
                if case .finished(let outcome) = action { return outcome }
                var sent: [PeerMessage] = []
                let next = try await runner.perform(action, machine: &machine) { output in
                    if case .send(let message) = output { sent.append(message) }
                }
                toServing += sent
                queue = next[...] + queue
                continue
            }
            if !toServing.isEmpty {
                try serve(toServing.removeFirst(), copy: &copy) { toRejoining.append(tamper($0)) }
            } else if !toRejoining.isEmpty {
                queue = try machine.receive(toRejoining.removeFirst())[...]
            } else {
                throw SessionPair.Stalled(description: "the two sides wait for each other: \(machine.stage)")
            }
        }
        throw SessionPair.Stalled(description: "the rejoin did not end within 10,000 steps")
    }

    /// The serving node's half: both trees on `rejoinOpen`, and each conflict copy through `ConflictCopyMachine`
    /// (kept only under a conflict-copy name, never over an existing file).
    private mutating func serve(
        _ message: PeerMessage, copy: inout (machine: ConflictCopyMachine, bytes: [UInt8])?,
        send: (PeerMessage) -> Void
    ) throws {
        var actions: [ConflictCopyMachine.Action]
        switch message {
        case .rejoinOpen:
            let compressor = try ZstdCompressor(level: 3)
            for tree in [serving.manifest(), base] {
                send(.manifestChunk(try ManifestTransfer.encodeChunk(tree, compressor)))
                send(.manifestEnd(partials: [], removed: []))
            }
            return
        case .conflictBegin(_, _, let reason, let header):
            let (machine, first) = ConflictCopyMachine.begin(header: header, reason: reason)
            copy = (machine, [])
            actions = first
        default:
            guard copy != nil else { throw PeerSessionError.unexpected(message, "on the serving node") }
            actions = copy!.machine.receive(message)
        }
        var queue = actions[...]
        while let action = queue.popFirst() {
            switch action {
            case .send(let message): send(message)
            case .flush, .begin, .accepted: break
            case .receive(let data, _): copy!.bytes += data.readableBytesView
            case .discard: copy!.bytes = []
            case .keep(let header, let hash):
                let bytes = copy!.bytes
                if MemoryTree.hash(bytes) == hash, serving[header.path] == nil,
                    (try? serving.commit(header.path, content: bytes, attributes: header.attributes)) != nil
                {
                    queue = copy!.machine.kept()[...] + queue
                } else {
                    let inPlace = serving[header.path]?.content == bytes
                    queue = copy!.machine.keepFailed(alreadyInPlace: inPlace, reason: "refused")[...] + queue
                }
            case .end(let error):
                copy = nil
                throw error  // the serving node ends the connection
            }
        }
        if copy?.machine.isFinished == true { copy = nil }
    }
}

/// The rejoining node's tree in memory behind the rejoin's file-system protocol: copies are kept by moving, and
/// pushed whole, uncompressed.
final class MemoryRejoinFiles: RejoinFiles {
    var tree: MemoryTree
    /// Copies kept, by original path.
    var kept: [String: String] = [:]

    init(_ tree: MemoryTree) { self.tree = tree }

    func scanLocal() async throws -> RejoinScan {
        RejoinScan(local: Dictionary(uniqueKeysWithValues: tree.manifest().map { ($0.path, $0) }))
    }

    func keep(_ conflict: RejoinPlanner.Conflict, as copy: String) throws {
        kept[conflict.path] = copy
        tree.move(conflict.path, to: copy)
    }

    func push(
        path: String, entry: ManifestEntry, reason: String, emit: (SessionOutput) async throws -> Void
    ) async throws {
        let node = tree[path]!
        try await emit(
            .send(
                .conflictBegin(
                    group: "g", share: "s", reason: reason,
                    header: FileHeader(
                        path: path, size: Int64(node.content.count), attributes: node.attributes, basis: .none))))
        try await emit(.send(.fileChunk(ByteBuffer(bytes: node.content))))
        try await emit(.send(.fileEnd(contentHash: MemoryTree.hash(node.content))))
    }
}

/// The rejoin's host in memory: a fixed wall clock, and nothing told.
struct MemoryRejoinHost: RejoinHost {
    let now: Double

    func wallSeconds() -> Double { now }
    func kept(_ conflict: RejoinPlanner.Conflict, as copy: String) {}
    func pushed(path: String) {}
}
