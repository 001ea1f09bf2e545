#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import Testing
@testable import UnderstudyChangeCapture
import UnderstudyCore

/// A temporary share with a watcher (not yet started) that logs what it reports.
///
/// For fanotify the share is on a tmpfs of its own, mounted for the test: fanotify's group is shared by every
/// share on a mount, and a test that holds its callback or overflows the queue must not stall or overflow the
/// other tests' shares (nor they this one's).
final class WatchedShare: Sendable {
    let root: String
    /// The directory the share and its `outside` directories are in (the private mount for fanotify).
    let top: String
    private let mounted: Bool
    let log = ChangeLog()
    let backend: CaptureBackend
    let watcher: any ChangeWatcher
    private let held = DispatchSemaphore(value: 0)
    private let released = DispatchSemaphore(value: 0)

    /// With `holdFirstCallback`, the reading thread stops in the first callback until `release()`, so that the
    /// events made meanwhile are read together.
    init(
        _ label: String, backend: CaptureBackend, filter: PathFilter = PathFilter(), holdFirstCallback: Bool = false
    ) throws {
        let top = TestTree.makeTemporaryDirectory("\(backend)-\(label)")
        mounted = backend == .fanotify
        if mounted && mount("tmpfs", top, "tmpfs", 0, "size=256m") != 0 {
            let reason = String(cString: strerror(errno))
            TestTree.remove(top)
            throw MountFailure(description: "cannot mount a tmpfs at \(top) (\(reason)); this test needs root")
        }
        let root = top + "/share"
        mkdir(root, 0o755)
        self.top = top
        self.root = root
        self.backend = backend
        let log = log
        let (held, released) = (held, released)
        let first = LockedFlag()
        do {
            let method: ChangeCaptureMethod = backend == .fanotify ? .fanotify : .inotify
            watcher = try ChangeWatchers.make(root: root, filter: filter, method: method) { changes in
                log.append(changes)
                if holdFirstCallback && first.set() {
                    held.signal()
                    _ = released.wait(timeout: .now() + 10)
                }
            }.watcher
        } catch {
            if mounted { umount2(top, Int32(MNT_DETACH)) }
            TestTree.remove(top)
            throw error
        }
    }

    func start() throws {
        let report = try watcher.start()
        #expect(report.limitProblem == nil)
        #expect(report.backend == backend)
    }

    /// Whether inotify watches `count` directories; always true for fanotify, which watches none.
    func watchCount(_ count: Int) -> Bool {
        backend == .fanotify ? watcher.watchCount == nil : watcher.watchCount == count
    }

    /// Makes a file and waits for its report: everything done before it has been reported by then.
    func sentinel() async -> Bool {
        let name = "sentinel-\(UInt32.random(in: 0...UInt32.max))"
        touch(root + "/" + name)
        return await log.wait { $0.contains(.init(.settled, name)) }
    }

    /// Polled, so the wait holds no thread of the pool.
    func waitUntilHeld() async -> Bool {
        for _ in 0..<500 {
            if held.wait(timeout: .now()) == .success { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return held.wait(timeout: .now()) == .success
    }

    func release() { released.signal() }

    func close() {
        released.signal()
        watcher.stop()
        #expect(!log.batches.contains { $0.isEmpty }, "onChanges was called with no changes")
        if mounted { umount2(top, Int32(MNT_DETACH)) }
        TestTree.remove(top)
    }

    /// A new directory beside the share, on the same file system (so that renames between the two work).
    func outside(_ name: String) -> String {
        let path = top + "/" + name
        mkdir(path, 0o755)
        return path
    }
}

/// What a watcher reported, by callback.
final class ChangeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var received: [[CapturedChange]] = []

    func append(_ changes: [CapturedChange]) {
        lock.withLock { received.append(changes) }
    }

    var batches: [[CapturedChange]] { lock.withLock { received } }
    var changes: [CapturedChange] { batches.flatMap { $0 } }

    func clear() { lock.withLock { received = [] } }

    /// Polls for at most `seconds`; true once `condition` holds for everything reported so far. It holds no thread
    /// of the pool meanwhile (a blocked one, of as many as there are cores, would stall every other test).
    func wait(seconds: Double = 5, until condition: (Set<CapturedChange>) -> Bool) async -> Bool {
        let deadline = DispatchTime.now() + seconds
        while DispatchTime.now() < deadline {
            if condition(Set(changes)) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition(Set(changes))
    }
}

final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var isSet = false

    /// True for the first caller only.
    func set() -> Bool {
        lock.withLock {
            defer { isSet = true }
            return !isSet
        }
    }
}

/// Calls `body` with the path of `name` (bytes that are not UTF-8) in `directory`.
func notUTF8(_ directory: String, _ name: [UInt8], _ body: (UnsafePointer<CChar>) -> Int32) {
    let path = Array(directory.utf8) + [UInt8(ascii: "/")] + name + [0]
    let result = path.map { CChar(bitPattern: $0) }.withUnsafeBufferPointer { body($0.baseAddress!) }
    #expect(result >= 0, "cannot make a file with a name that is not UTF-8")
}
func touch(_ path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
    if fd >= 0 { close(fd) }
}

struct MountFailure: Error, CustomStringConvertible {
    var description: String
}
