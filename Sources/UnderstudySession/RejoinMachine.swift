import UnderstudyCore
import UnderstudyDelta
import UnderstudyWire

/// The rejoining node's half of a rejoin of one share, as a state machine: before a node whose tree was the live
/// data follows the node that holds the group now, it asks for the serving tree and the base of the takeover's
/// epoch, plans with Core's `RejoinPlanner` against its own tree, keeps each of its versions the serving node never
/// had as a conflict copy, and pushes every copy into the serving tree, one at a time, each confirmed durable
/// (`conflictStored`) before the next. Only then may the ordinary follow make this tree equal to the serving one.
///
/// It reads no file and no socket: the I/O code performs its actions and reports their results back.
package struct RejoinMachine {
    package enum Action: Equatable, Sendable {
        case send(PeerMessage)
        case flush
        /// Both trees are in: scan this node's tree; answer with `scanned(_:recordedReasons:unmadeCopies:)`.
        case scanLocal
        /// Keep this node's version of the conflict's path as `copy`, recording why before the rename (a crash
        /// after it finds the copy by name and knows why it exists).
        case keepAsConflict(RejoinPlanner.Conflict, copy: String)
        /// Send this file whole as a conflict copy for the serving tree: conflictBegin, fileChunk*, fileEnd.
        case push(path: String, entry: ManifestEntry, reason: String)
        /// The serving node holds this copy durably.
        case pushed(path: String)
        case finished(Outcome)
    }

    package struct Outcome: Equatable, Sendable {
        package var conflicts = 0
        package var pushed = 0
        package var copies = 0
        package var deletions = 0
        package var restored = 0

        package init(conflicts: Int = 0, pushed: Int = 0, copies: Int = 0, deletions: Int = 0, restored: Int = 0) {
            self.conflicts = conflicts
            self.pushed = pushed
            self.copies = copies
            self.deletions = deletions
            self.restored = restored
        }
    }

    private enum State: Equatable {
        case opening
        case receivingServingTree
        case receivingBase
        case scanning
        case pushing
        case finished
    }

    package let group: String
    package let share: String
    package let epoch: UInt64
    private let node: String
    private let decompressor: ZstdDecompressor
    private var state = State.opening
    private var serving: [String: ManifestEntry] = [:]
    private var base: [String: ManifestEntry] = [:]
    private var pushes: [(path: String, entry: ManifestEntry, reason: String)] = []
    private var outcome = Outcome()

    /// - Parameter node: this node's name, which conflict copies carry.
    package init(group: String, share: String, epoch: UInt64, node: String) throws {
        self.group = group
        self.share = share
        self.epoch = epoch
        self.node = node
        decompressor = try ZstdDecompressor()
    }

    /// What the rejoin waits for, for a message that says where it ended.
    package var stage: String {
        switch state {
        case .opening, .receivingServingTree: "while receiving the serving tree"
        case .receivingBase: "while receiving the base of the takeover"
        case .scanning: "while this node's tree was compared"
        case .pushing: "instead of conflictStored"
        case .finished: "after the rejoin"
        }
    }

    package mutating func start() -> [Action] {
        precondition(state == .opening, "a rejoin starts once")
        state = .receivingServingTree
        return [.send(.rejoinOpen(group: group, share: share, epoch: epoch)), .flush]
    }

    package mutating func receive(_ message: PeerMessage) throws -> [Action] {
        if case .error(let code, let text) = message { throw PeerSessionError.remote(code, text) }
        switch (state, message) {
        case (.receivingServingTree, .manifestChunk(let compressed)):
            for entry in try ManifestTransfer.decodeChunk(compressed, decompressor) { serving[entry.path] = entry }
            return []
        case (.receivingServingTree, .manifestEnd):
            state = .receivingBase
            return []
        case (.receivingBase, .manifestChunk(let compressed)):
            for entry in try ManifestTransfer.decodeChunk(compressed, decompressor) { base[entry.path] = entry }
            return []
        case (.receivingBase, .manifestEnd):
            state = .scanning
            return [.scanLocal]
        case (.pushing, .conflictStored(let stored)) where stored == pushes.first?.path:
            pushes.removeFirst()
            outcome.pushed += 1
            return [.pushed(path: stored)] + nextPush()
        default:
            throw PeerSessionError.unexpected(message, stage)
        }
    }

    /// This node's tree, and what an interrupted run recorded.
    /// - Parameter recordedReasons: why each conflict copy recorded earlier exists, by the copy's name.
    /// - Parameter unmadeCopies: conflicts recorded whose rename never happened (the copy's name by original path):
    ///   they keep that name, so one conflict has one record.
    /// - Parameter now: wall-clock seconds, which the names of new copies carry.
    package mutating func scanned(
        _ local: [String: ManifestEntry], recordedReasons: [String: String] = [:], unmadeCopies: [String: String] = [:],
        now: Double
    ) -> [Action] {
        precondition(state == .scanning, "this node's tree is compared once, after both trees arrived")
        var local = local
        let plan = RejoinPlanner().plan(local: local, remote: serving, base: base)
        outcome = Outcome(
            conflicts: plan.conflicts.count, copies: plan.copies.count, deletions: plan.deletions.count,
            restored: plan.restored.count)
        var actions: [Action] = []
        pushes = plan.pushes.compactMap { path in
            local[path].map { (path, $0, recordedReasons[path] ?? "interrupted") }
        }
        for conflict in plan.conflicts {
            let copy = unmadeCopies[conflict.path] ?? ConflictName.make(for: conflict.path, node: node, time: now)
            actions.append(.keepAsConflict(conflict, copy: copy))
            var entry = conflict.local
            entry.path = copy
            local[copy] = entry
            pushes.append((copy, entry, conflict.reason.rawValue))
        }
        state = .pushing
        return actions + nextPush()
    }

    private mutating func nextPush() -> [Action] {
        guard let next = pushes.first else {
            state = .finished
            return [.finished(outcome)]
        }
        return [.push(path: next.path, entry: next.entry, reason: next.reason)]
    }
}
