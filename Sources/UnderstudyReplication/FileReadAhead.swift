#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization
import UnderstudyCore
import UnderstudyFileSystem
import UnderstudySession
import UnderstudyWire

/// The read-ahead of a sync's small files sent whole: worker threads open, read, hash and compress the files the
/// sender will send next, in the plan's order, while the sender's task puts the files before them on the connection
/// and the standby applies the ones before those. The sender takes each file's messages ready-made (`take`), in order;
/// a file larger than `maximumFileSize` is left to the sender, which reads it chunk by chunk as before.
///
/// Nothing is sent ahead: a file read ahead reaches the connection only when the sender takes it, after every file
/// the plan puts before it. A file that changes after it was read ahead is one that changed after it was sent: its
/// index record (the status before the read) no longer describes it, and the capture sends it again.
///
/// Bounded: at most `filesAhead` files and `bytesAhead` bytes read wait for the sender; the workers stop at the bound
/// and go on as the sender takes files.
final class FileReadAhead: Sendable {
    /// Files larger than this are read by the sender itself: their chunks go as they are read, and their hash is
    /// already computed beside the read.
    static let maximumFileSize = Int64(FileReadTools.readSize)
    static let filesAhead = 256
    static let bytesAhead: Int64 = 16 << 20
    /// A batch with fewer files sent whole than this is read by the sender: the live mirror's batches are mostly
    /// smaller, and setting up workers (a zstd context, a buffer, a share handle each) for every live sync would cost
    /// more than it saves. First syncs and catch-ups send thousands.
    static let minimumBatch = 64
    /// A sender that had to wait goes on once this many files, or bytes, are ready for it.
    static let resumeFiles = 16
    static let resumeBytes: Int64 = 1 << 20

    /// The workers: one fewer than the processors (the sender's task and the connection need one), at least one,
    /// at most four.
    static var workerCount: Int {
        max(1, min(4, sysconf(Int32(_SC_NPROCESSORS_ONLN)) - 1))
    }

    /// A file read ahead: its messages ready to go, and how it went.
    struct Prepared: @unchecked Sendable {
        var messages: [PeerMessage]
        var outcome: SentFile<FileStatus>
        var bytesRead: Int64
        /// The share's small-file dictionary, if the file was compressed with it: it must reach the standby first.
        var dictionary: SmallFileDictionary?
    }

    /// What became of a path: read ahead, or left to the sender (too large, or an error the sender meets again and
    /// reports as it always did).
    enum Slot: Sendable {
        case prepared(Prepared)
        case bySender

        var bytes: Int64 {
            if case .prepared(let file) = self { return file.bytesRead }
            return 0
        }
    }

    private struct State: ~Copyable, Sendable {
        /// The paths planned, in order; `paths[0]` has the index `base`.
        var paths: [String] = []
        var base = 0
        /// The index of the next path a worker reads.
        var nextToRead = 0
        /// The sender's position: every index below it was taken or passed over.
        var position = 0
        var slots: [Int: Slot] = [:]
        var bytesWaiting: Int64 = 0
        var idle: [FileReadTools]
        var waiter: (index: Int, continuation: CheckedContinuation<Slot, Never>)?
        var cancelled = false
        var filesRead = 0

        var hasWork: Bool {
            !cancelled && nextToRead < base + paths.count && nextToRead - position < FileReadAhead.filesAhead
                && bytesWaiting < FileReadAhead.bytesAhead
        }

        /// The idle workers' tools, if there is work for them. Workers held at the bound wait until the sender has
        /// taken half of what waits (`urgent`: the sender waits for a file no one reads): woken at every file taken,
        /// a worker would read one file and stop again, a thread wake per file.
        mutating func wake(urgent: Bool = false) -> [FileReadTools] {
            guard hasWork, !idle.isEmpty else { return [] }
            let half =
                nextToRead - position <= FileReadAhead.filesAhead / 2 && bytesWaiting <= FileReadAhead.bytesAhead / 2
            guard urgent || half else { return [] }
            defer { idle.removeAll() }
            return idle
        }

        /// Whether the waiting sender goes on now: once a run of files is ready for it (`resumeFiles` or
        /// `resumeBytes`), or the workers can read no further (the batch's end, the bound). Resumed at every file
        /// while the workers are the slower side, the sender would cost a thread switch per file.
        func mayResume() -> Bool {
            slots.count >= FileReadAhead.resumeFiles || bytesWaiting >= FileReadAhead.resumeBytes || !hasWork
        }

        mutating func drop(below index: Int) {
            for passed in position..<index {
                if let slot = slots.removeValue(forKey: passed) { bytesWaiting -= slot.bytes }
            }
            position = index
            // Paths passed over are not read.
            nextToRead = max(nextToRead, index)
            // The paths behind the sender are let go in runs, once they are half of what is kept: each run moves
            // the rest of the array, so shorter runs would cost the square of a batch of millions.
            if position - base >= max(1024, paths.count / 2) {
                paths.removeFirst(position - base)
                base = position
            }
        }
    }

    private let state: Mutex<State>
    private let dictionary: SmallFileDictionary?
    private let queue = DispatchQueue(label: "understudy.read-ahead", attributes: .concurrent)

    /// - Parameter share: the share's root; each worker opens a handle of its own on it.
    init(share: ShareDirectory, compressionLevel: Int32, dictionary: SmallFileDictionary?) throws {
        var tools: [FileReadTools] = []
        for _ in 0..<Self.workerCount {
            tools.append(try FileReadTools(share: try share.another(), compressionLevel: compressionLevel))
        }
        state = Mutex(State(idle: tools))
        self.dictionary = dictionary
    }

    /// The paths the sender will send whole next, in its order: the workers start reading them.
    func plan(_ paths: [String]) {
        let tools = state.withLock { state -> [FileReadTools] in
            guard !state.cancelled else { return [] }
            state.paths += paths
            return state.wake()
        }
        launch(tools)
    }

    /// The file at `path`, read ahead (waiting for the worker reading it); nil if `path` is not among the next
    /// planned ones. Planned paths before it are passed over.
    func take(_ path: String) async -> Slot? {
        enum Found {
            case ready(Slot)
            case pending(Int)
            case unplanned
        }
        let (found, tools) = state.withLock { state -> (Found, [FileReadTools]) in
            let start = state.position - state.base
            let end = min(state.paths.count, start + Self.filesAhead)
            guard start < end, let offset = state.paths[start..<end].firstIndex(of: path) else {
                return (.unplanned, [])
            }
            let index = state.base + offset
            state.drop(below: index)
            guard let slot = state.slots.removeValue(forKey: index) else {
                return (.pending(index), state.wake(urgent: true))
            }
            state.bytesWaiting -= slot.bytes
            state.drop(below: index + 1)
            return (.ready(slot), state.wake())
        }
        launch(tools)
        switch found {
        case .unplanned: return nil
        case .ready(let slot): return slot
        case .pending(let index):
            return await withCheckedContinuation { continuation in
                let slot = state.withLock { state -> Slot? in
                    // Cancelled meanwhile: no worker delivers any more.
                    if state.cancelled { return .bySender }
                    if let slot = state.slots.removeValue(forKey: index) {
                        state.bytesWaiting -= slot.bytes
                        state.drop(below: index + 1)
                        return slot
                    }
                    state.waiter = (index, continuation)
                    return nil
                }
                if let slot { continuation.resume(returning: slot) }
            }
        }
    }

    /// Files read so far, and the files and bytes waiting for the sender (for tests).
    var counts: (read: Int, waiting: Int, bytesWaiting: Int64) {
        state.withLock { ($0.filesRead, $0.slots.count, $0.bytesWaiting) }
    }

    /// Stops the workers after the file each is reading, and drops what waits: the sync is over.
    func cancel() {
        let waiter = state.withLock { state in
            state.cancelled = true
            state.slots.removeAll()
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.continuation.resume(returning: .bySender)
    }

    private func launch(_ tools: [FileReadTools]) {
        for each in tools { queue.async { self.work(each) } }
    }

    /// A worker: reads the next planned file, hands it over, and goes on while there is work within the bounds.
    private func work(_ tools: FileReadTools) {
        while let (index, path) = nextJob(returning: tools) {
            deliver(read(path, tools), at: index)
        }
    }

    private func nextJob(returning tools: FileReadTools) -> (Int, String)? {
        state.withLock { state in
            guard state.hasWork else {
                state.idle.append(tools)
                return nil
            }
            defer { state.nextToRead += 1 }
            return (state.nextToRead, state.paths[state.nextToRead - state.base])
        }
    }

    private func deliver(_ slot: Slot, at index: Int) {
        let resumed = state.withLock { state -> (CheckedContinuation<Slot, Never>, Slot)? in
            state.filesRead += 1
            guard !state.cancelled, index >= state.position else { return nil }
            state.slots[index] = slot
            state.bytesWaiting += slot.bytes
            guard let waiter = state.waiter, state.mayResume(),
                let ready = state.slots.removeValue(forKey: waiter.index)
            else { return nil }
            state.waiter = nil
            state.bytesWaiting -= ready.bytes
            state.drop(below: waiter.index + 1)
            return (waiter.continuation, ready)
        }
        if let (continuation, ready) = resumed { continuation.resume(returning: ready) }
    }

    private func read(_ path: String, _ tools: FileReadTools) -> Slot {
        do {
            switch try FileRead.open(path, basis: .none, signature: nil, dictionary: dictionary, tools: tools) {
            case .skipped(let reason):
                return .prepared(Prepared(messages: [], outcome: .skipped(reason: reason), bytesRead: 0))
            case .reading(let file):
                guard file.before.size <= Self.maximumFileSize else { return .bySender }
                var messages: [PeerMessage] = []
                var bytes: Int64 = 0
                while file.outcome == nil { bytes += try file.next(into: &messages) }
                guard let outcome = file.outcome else { return .bySender }
                return .prepared(
                    Prepared(messages: messages, outcome: outcome, bytesRead: bytes, dictionary: file.dictionary))
            }
        } catch {
            return .bySender
        }
    }
}
