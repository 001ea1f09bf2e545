#if canImport(Glibc)
import Glibc
#endif
import CLinux
import NIOConcurrencyHelpers
import UnderstudyCore
import UnderstudyFileSystem

/// Watches one share's tree (directories only) and reports changes as `CapturedChange`s, on a thread of its own.
///
/// Directories are opened one component at a time with O_NOFOLLOW and watched through their descriptor, so a
/// symlink swapped in during a walk cannot make us watch, and report paths for, a directory outside the share.
/// Call `stop()`: until then the reading thread keeps the watcher alive.
package final class InotifyWatcher: @unchecked Sendable {
    static let watchMask = UInt32(
        UNDERSTUDY_IN_CLOSE_WRITE | UNDERSTUDY_IN_MODIFY | UNDERSTUDY_IN_ATTRIB
            | UNDERSTUDY_IN_CREATE | UNDERSTUDY_IN_DELETE | UNDERSTUDY_IN_MOVED_FROM | UNDERSTUDY_IN_MOVED_TO
            | UNDERSTUDY_IN_DELETE_SELF | UNDERSTUDY_IN_MOVE_SELF | UNDERSTUDY_IN_DONT_FOLLOW | UNDERSTUDY_IN_ONLYDIR
            | UNDERSTUDY_IN_EXCL_UNLINK)
    static let bufferSize = 64 * 1024
    /// How long a rename's first half, the last event of a read, waits for its second half.
    static let moveWaitMilliseconds: Int32 = 10

    let root: String
    let filter: PathFilter
    let onChanges: @Sendable ([CapturedChange]) -> Void
    let inotifyDescriptor: Int32
    private let wakePipe: WakePipe
    /// Whether /proc/self/fd can name a descriptor to inotify_add_watch; without /proc we fall back to full paths.
    let watchesThroughDescriptors: Bool

    // Used by the caller of start() until the thread starts, then by the thread alone.
    let share: ShareDirectory
    var table = WatchTable()
    var pendingMoves: [PendingMove] = []
    var undelivered: [CapturedChange] = []
    var limitProblem: String?
    /// Directories the watch limit kept us from watching: tried again every `retryInterval`, and rescanned once
    /// watched, so a limit raised later — or a moment when another watcher held the last watches — heals.
    var unwatched: Set<String> = []
    private var lastRetry = 0.0
    static let retryMilliseconds: Int32 = 1000
    /// Watches a walk found standing for a directory no longer at their path; dropped unless the walk meets them.
    var displaced: [Int32] = []
    private var threadClosesDescriptors = false

    private enum Lifecycle {
        case idle
        case starting
        case running(pthread_t)
        case stopped
    }

    private struct Shared {
        var lifecycle = Lifecycle.idle
        var stopRequested = false
        var descriptorsClosed = false
        var watchCount = 0
        var limitProblem: String?
    }

    private let shared = NIOLockedValueBox(Shared())

    package init(
        root: String, filter: PathFilter, onChanges: @escaping @Sendable ([CapturedChange]) -> Void
    ) throws(FileSystemError) {
        self.root = root
        self.filter = filter
        self.onChanges = onChanges
        share = try ShareDirectory(path: root, create: false)
        let fd = understudy_inotify_init()
        guard fd >= 0 else { throw .errno("inotify_init1", "") }
        do {
            wakePipe = try WakePipe()
        } catch {
            close(fd)
            throw error
        }
        inotifyDescriptor = fd
        watchesThroughDescriptors = access("/proc/self/fd", F_OK) == 0
    }

    deinit {
        closeDescriptors()
    }

    package var directoriesWatched: Int { shared.withLockedValue { $0.watchCount } }

    /// The latest limit problem, including one met after start() while following new directories.
    package var currentLimitProblem: String? { shared.withLockedValue { $0.limitProblem } }

    /// Adds watches on every directory of the tree that the filter keeps, then starts the reading thread.
    package func start() throws(FileSystemError) -> CaptureReport {
        let mayStart = shared.withLockedValue { state -> Bool in
            guard case .idle = state.lifecycle else { return false }
            state.lifecycle = .starting
            return true
        }
        guard mayStart else {
            throw FileSystemError(
                operation: "start inotify watcher (already started or stopped)", path: "", errno: EINVAL)
        }
        do {
            _ = try watchTree("")
        } catch {
            let stopped = shared.withLockedValue { state -> Bool in
                guard case .starting = state.lifecycle else { return true }
                state.lifecycle = .idle
                return false
            }
            if stopped { closeDescriptors() }
            throw error
        }
        publish()
        let report = CaptureReport(backend: .inotify, watches: table.count, limitProblem: limitProblem)
        let launch: Result<Bool, FileSystemError> = shared.withLockedValue { state in
            guard case .starting = state.lifecycle else { return .success(false) }
            var thread = pthread_t()
            let context = Unmanaged.passRetained(self).toOpaque()
            let result = pthread_create(
                &thread, nil,
                { context in
                    Unmanaged<InotifyWatcher>.fromOpaque(context!).takeRetainedValue().run()
                    return nil
                }, context)
            guard result == 0 else {
                Unmanaged<InotifyWatcher>.fromOpaque(context).release()
                state.lifecycle = .idle
                return .failure(FileSystemError(operation: "start inotify thread", path: "", errno: result))
            }
            state.lifecycle = .running(thread)
            return .success(true)
        }
        switch launch {
        case .success(true): break
        case .success(false): closeDescriptors()  // stop() came while we walked
        case .failure(let error): throw error
        }
        return report
    }

    /// Ends the reading thread (waiting for it unless called from it) and closes the descriptors. Idempotent.
    package func stop() {
        enum Action { case nothing, close, join(pthread_t) }
        let action = shared.withLockedValue { state -> Action in
            let previous = state.lifecycle
            state.lifecycle = .stopped
            state.stopRequested = true
            switch previous {
            case .idle: return .close
            case .starting, .stopped: return .nothing  // start() closes them once its walk ends
            case .running(let thread): return .join(thread)
            }
        }
        switch action {
        case .nothing: return
        case .close: closeDescriptors()
        case .join(let thread):
            wakePipe.wake()
            if pthread_equal(thread, pthread_self()) != 0 {
                // Called from onChanges: joining ourselves would deadlock; the loop ends when the callback returns.
                threadClosesDescriptors = true
                pthread_detach(thread)
            } else {
                pthread_join(thread, nil)
                closeDescriptors()
            }
        }
    }

    private var isStopRequested: Bool { shared.withLockedValue { $0.stopRequested } }

    private func closeDescriptors() {
        let close = shared.withLockedValue { state -> Bool in
            defer { state.descriptorsClosed = true }
            return !state.descriptorsClosed
        }
        guard close else { return }
        Glibc.close(inotifyDescriptor)
        wakePipe.close()
    }

    /// Makes the thread's view of the watches visible to other threads.
    func publish() {
        let count = table.count
        let problem = limitProblem
        shared.withLockedValue { state in
            state.watchCount = count
            state.limitProblem = problem
        }
    }

    private func run() {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.bufferSize, alignment: 8)
        defer { buffer.deallocate() }
        var descriptors = [
            pollfd(fd: inotifyDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakePipe.readDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        deliver()  // what start() found: directories the watch limit left out
        while !isStopRequested {
            var timeout = pendingMoves.isEmpty ? -1 : Self.moveWaitMilliseconds
            if !unwatched.isEmpty {
                timeout = timeout < 0 ? Self.retryMilliseconds : min(timeout, Self.retryMilliseconds)
            }
            let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
            if isStopRequested { break }
            if ready < 0 {
                if errno != EINTR { usleep(100_000) }  // ENOMEM: give the kernel a moment
                continue
            }
            if ready == 0 {
                resolvePendingMoves(olderThan: 0)
            } else if descriptors[0].revents != 0 {
                let count = read(inotifyDescriptor, buffer, Self.bufferSize)
                if count < 0 {
                    if errno == EAGAIN || errno == EINTR { continue }
                    undelivered.append(CapturedChange(.overflow, ""))
                    usleep(100_000)
                } else {
                    handleEvents(UnsafeRawBufferPointer(start: buffer, count: count))
                    resolvePendingMoves(olderThan: 1)
                }
            }
            retryUnwatched()
            publish()
            deliver()
        }
        if threadClosesDescriptors { closeDescriptors() }
    }

    private func retryUnwatched() {
        guard !unwatched.isEmpty else { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let seconds = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
        guard seconds - lastRetry >= Double(Self.retryMilliseconds) / 1000 else { return }
        lastRetry = seconds
        let retry = unwatched
        unwatched = []
        limitProblem = nil
        for path in retry {
            resynchronize(path)
            // Whatever happened in it while unwatched is found by comparing it again.
            if !unwatched.contains(path) { undelivered.append(CapturedChange(.overflow, path)) }
        }
    }

    /// Hands the batch over, each change once, at its last position: a `.writing` after a `.settled` of the same
    /// file must stay last, and other repeats (a parent settled by every create in it) say nothing new.
    private func deliver() {
        guard !undelivered.isEmpty else { return }
        let changes = CapturedChange.lastOfEach(undelivered)
        undelivered = []
        onChanges(changes)
    }
}
