#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import Testing
@testable import UnderstudyChangeCapture
import UnderstudyCore
@testable import UnderstudyNode

/// Real inotify on temporary trees. Serialized: two tests change per-user inotify limits that every watcher of
/// this process would feel.
@Suite(.serialized) struct InotifyWatcherTests {
    @Test func reportsSettled_whenFileCreated() throws {
        let share = try WatchedShare("create")
        defer { share.close() }
        try share.start()
        touch(share.root + "/new")
        #expect(share.log.wait { $0.contains(.init(.settled, "new")) && $0.contains(.init(.settled, "")) })
    }

    @Test func reportsWritingThenSettled_whenFileWrittenAndClosed() throws {
        let share = try WatchedShare("write")
        defer { share.close() }
        TestTree.write(share.root, "file", "old")
        try share.start()
        let fd = open(share.root + "/file", O_WRONLY | O_APPEND)
        try #require(fd >= 0)
        _ = write(fd, "more", 4)
        let writing = share.log.wait { $0.contains(.init(.writing, "file")) }
        let settledWhileOpen = share.log.changes.contains(.init(.settled, "file"))
        close(fd)
        #expect(writing)
        #expect(!settledWhileOpen)
        #expect(share.log.wait { $0.contains(.init(.settled, "file")) })
    }

    @Test func watchesEveryNewDirectory_whenFilesAreMadeInsideAtOnce() throws {
        let share = try WatchedShare("mkdir")
        defer { share.close() }
        try share.start()
        for index in 0..<50 {
            mkdir(share.root + "/d\(index)", 0o755)
            touch(share.root + "/d\(index)/early")
        }
        try FileManager.default.createDirectory(atPath: share.root + "/a/b/c", withIntermediateDirectories: true)
        touch(share.root + "/a/b/c/early")
        let directories = (0..<50).map { CapturedChange(.tree, "d\($0)") } + [CapturedChange(.tree, "a")]
        #expect(share.log.wait { changes in directories.allSatisfy(changes.contains) })
        // `mkdir -p` makes b and c after the watcher may have read a: their watches can come one batch after the
        // report of a (their own creation events are watched by then). The count reaches every directory soon.
        for _ in 0..<500 where share.watcher.watchCount < 1 + 50 + 3 { usleep(10_000) }
        #expect(share.watcher.watchCount == 1 + 50 + 3)
        for index in 0..<50 { touch(share.root + "/d\(index)/late") }
        touch(share.root + "/a/b/c/late")
        let late = (0..<50).map { CapturedChange(.settled, "d\($0)/late") } + [CapturedChange(.settled, "a/b/c/late")]
        #expect(share.log.wait { changes in late.allSatisfy(changes.contains) })
    }

    @Test func reportsBothPathsInOneCallback_whenFileRenamed() throws {
        let share = try WatchedShare("rename-file")
        defer { share.close() }
        TestTree.write(share.root, "d/from", "x")
        mkdir(share.root + "/e", 0o755)
        try share.start()
        rename(share.root + "/d/from", share.root + "/e/to")
        let expected: Set<CapturedChange> = [
            .init(.tree, "d/from"), .init(.tree, "e/to"), .init(.settled, "d"), .init(.settled, "e"),
        ]
        #expect(share.log.wait { _ in share.log.batches.contains { expected.isSubset(of: $0) } })
    }

    @Test func followsRenamedDirectory_withItsNewPathForEverythingBelow() throws {
        let share = try WatchedShare("rename-dir")
        defer { share.close() }
        try FileManager.default.createDirectory(atPath: share.root + "/old/sub/deep", withIntermediateDirectories: true)
        try share.start()
        #expect(share.watcher.watchCount == 4)
        rename(share.root + "/old", share.root + "/new")
        #expect(share.log.wait { $0.contains(.init(.tree, "new")) && $0.contains(.init(.tree, "old")) })
        share.log.clear()
        touch(share.root + "/new/sub/deep/file")
        touch(share.root + "/new/file")
        #expect(
            share.log.wait {
                $0.contains(.init(.settled, "new/sub/deep/file")) && $0.contains(.init(.settled, "new/file"))
            })
        #expect(!share.log.changes.contains { $0.path.hasPrefix("old") })
        #expect(share.watcher.watchCount == 4)
    }

    @Test func keepsWatchesRight_whenDirectoryRenamedAndReplacedBeforeRead() throws {
        let share = try WatchedShare("replace", holdFirstCallback: true)
        defer { share.close() }
        try share.start()
        touch(share.root + "/first")
        try #require(share.waitUntilHeld(), "the first change never arrived")
        mkdir(share.root + "/new", 0o755)
        rename(share.root + "/new", share.root + "/other")
        mkdir(share.root + "/new", 0o755)
        share.release()
        #expect(share.log.wait { $0.isSuperset(of: [.init(.tree, "new"), .init(.tree, "other")]) })
        touch(share.root + "/new/file")
        touch(share.root + "/other/file")
        #expect(share.log.wait { $0.isSuperset(of: [.init(.settled, "new/file"), .init(.settled, "other/file")]) })
        #expect(share.watcher.watchCount == 3)
    }

    @Test func pairsRenameHalves_whenSplitAcrossReads() throws {
        let root = TestTree.makeTemporaryDirectory("inotify-split")
        defer { TestTree.remove(root) }
        try FileManager.default.createDirectory(atPath: root + "/d/sub", withIntermediateDirectories: true)
        let watcher = try InotifyWatcher(root: root, filter: PathFilter()) { _ in }
        defer { watcher.stop() }
        watcher.resynchronize("")  // the walk of start(), without a reading thread: this test reads instead
        let rootWatch = try #require(watcher.table.watch(at: ""))
        let subWatch = try #require(watcher.table.watch(at: "d/sub"))
        rename(root + "/d", root + "/e")
        feed(watcher, inotifyEvent(rootWatch, InotifyBits.movedFrom | InotifyBits.isDirectory, cookie: 7, name: "d"))
        #expect(watcher.undelivered.isEmpty)
        feed(watcher, inotifyEvent(rootWatch, InotifyBits.movedTo | InotifyBits.isDirectory, cookie: 7, name: "e"))
        #expect(Set(watcher.undelivered) == [.init(.tree, "d"), .init(.tree, "e"), .init(.settled, "")])
        #expect(watcher.table.path(of: subWatch) == "e/sub")
        #expect(watcher.table.watch(at: "d") == nil)
    }

    @Test func treatsRenameAsMoveOut_whenSecondHalfDoesNotFollowWithinARead() throws {
        let root = TestTree.makeTemporaryDirectory("inotify-half")
        defer { TestTree.remove(root) }
        try FileManager.default.createDirectory(atPath: root + "/d/sub", withIntermediateDirectories: true)
        let watcher = try InotifyWatcher(root: root, filter: PathFilter()) { _ in }
        defer { watcher.stop() }
        watcher.resynchronize("")
        let rootWatch = try #require(watcher.table.watch(at: ""))
        feed(watcher, inotifyEvent(rootWatch, InotifyBits.movedFrom | InotifyBits.isDirectory, cookie: 9, name: "d"))
        #expect(watcher.undelivered.isEmpty)
        feed(watcher, inotifyEvent(rootWatch, InotifyBits.attrib, cookie: 0, name: ""))
        #expect(Set(watcher.undelivered) == [.init(.tree, "d"), .init(.settled, "")])
        #expect(watcher.table.count == 1)
    }

    @Test func reportsNothingMore_whenDirectoryMovedOutOfShare() throws {
        let share = try WatchedShare("move-out")
        let outside = TestTree.makeTemporaryDirectory("inotify-outside")
        defer {
            share.close()
            TestTree.remove(outside)
        }
        try FileManager.default.createDirectory(atPath: share.root + "/leaving/sub", withIntermediateDirectories: true)
        try share.start()
        rename(share.root + "/leaving", outside + "/leaving")
        #expect(share.log.wait { $0.contains(.init(.tree, "leaving")) })
        #expect(share.watcher.watchCount == 1)
        share.log.clear()
        touch(outside + "/leaving/file")
        touch(outside + "/leaving/sub/file")
        #expect(share.sentinel())
        #expect(!share.log.changes.contains { $0.path.hasPrefix("leaving") })
    }

    @Test func watchesDirectory_whenMovedInFromOutside() throws {
        let share = try WatchedShare("move-in")
        let outside = TestTree.makeTemporaryDirectory("inotify-outside")
        defer {
            share.close()
            TestTree.remove(outside)
        }
        try FileManager.default.createDirectory(atPath: outside + "/coming/sub", withIntermediateDirectories: true)
        try share.start()
        rename(outside + "/coming", share.root + "/coming")
        #expect(share.log.wait { $0.contains(.init(.tree, "coming")) && $0.contains(.init(.settled, "")) })
        #expect(share.watcher.watchCount == 3)
        touch(share.root + "/coming/sub/file")
        #expect(share.log.wait { $0.contains(.init(.settled, "coming/sub/file")) })
    }

    @Test func reportsTree_whenEntriesDeleted() throws {
        let share = try WatchedShare("delete")
        defer { share.close() }
        TestTree.write(share.root, "file", "x")
        mkdir(share.root + "/dir", 0o755)
        try share.start()
        unlink(share.root + "/file")
        rmdir(share.root + "/dir")
        #expect(share.log.wait { $0.isSuperset(of: [.init(.tree, "file"), .init(.tree, "dir"), .init(.settled, "")]) })
        #expect(share.log.wait { _ in share.watcher.watchCount == 1 })
    }

    @Test func reportsNothing_forExcludedAndReservedPaths() throws {
        let share = try WatchedShare("exclude", filter: try PathFilter(include: [], exclude: ["*.tmp", "cache/"]))
        defer { share.close() }
        mkdir(share.root + "/cache", 0o755)
        mkdir(share.root + "/kept", 0o755)
        mkdir(share.root + "/.understudy.reserved", 0o755)
        notUTF8(share.root, [0x64, 0xFE]) { mkdir($0, 0o755) }
        try share.start()
        #expect(share.watcher.watchCount == 2)
        touch(share.root + "/save.tmp")
        touch(share.root + "/cache/entry")
        mkdir(share.root + "/kept/cache", 0o755)
        touch(share.root + "/kept/cache/entry")
        touch(share.root + "/.understudy.tmp.0123456789abcdef")
        mkdir(share.root + "/.understudy.dir", 0o755)
        notUTF8(share.root, [0x66, 0xFF]) { close(open($0, O_WRONLY | O_CREAT, 0o644)) }
        notUTF8(share.root, [0x65, 0xFE]) { mkdir($0, 0o755) }
        #expect(share.sentinel())
        #expect(share.log.changes.filter { !$0.path.isEmpty && !$0.path.hasPrefix("sentinel-") } == [])
        #expect(share.watcher.watchCount == 2)
        rename(share.root + "/save.tmp", share.root + "/saved")
        #expect(share.log.wait { $0.contains(.init(.tree, "saved")) })
        #expect(!share.log.changes.contains { $0.path.contains("tmp") })
    }

    @Test func reportsSettled_whenSymlinkCreated() throws {
        let share = try WatchedShare("symlink")
        defer { share.close() }
        try share.start()
        TestTree.symlink(share.root, "link", target: "../elsewhere")
        #expect(share.log.wait { $0.contains(.init(.settled, "link")) && $0.contains(.init(.settled, "")) })
    }

    @Test func reportsSettled_whenModeChanged() throws {
        let share = try WatchedShare("chmod")
        defer { share.close() }
        TestTree.write(share.root, "dir/file", "x")
        try share.start()
        chmod(share.root + "/dir/file", 0o600)
        chmod(share.root + "/dir", 0o700)
        chmod(share.root, 0o750)
        #expect(
            share.log.wait {
                $0.isSuperset(of: [.init(.settled, "dir/file"), .init(.settled, "dir"), .init(.settled, "")])
            })
    }

    @Test func endsCallbacks_whenStoppedTwice() throws {
        let share = try WatchedShare("stop")
        defer { share.close() }
        try share.start()
        share.watcher.stop()
        share.watcher.stop()
        touch(share.root + "/after")
        usleep(200_000)
        #expect(share.log.changes.isEmpty)
    }

    @Test func reportsOverflow_whenKernelQueueOverflows() throws {
        let root = TestTree.makeTemporaryDirectory("inotify-overflow")
        defer { TestTree.remove(root) }
        let log = ChangeLog()
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let firstCall = LockedFlag()
        let watcher: InotifyWatcher
        do {
            // The kernel reads the limit when the inotify instance is made, so it is lowered just around init.
            let saved = try Sysctl.read(Sysctl.maxQueuedEvents)
            try Sysctl.write(Sysctl.maxQueuedEvents, 16)
            defer { Sysctl.restore(Sysctl.maxQueuedEvents, saved) }
            watcher = try InotifyWatcher(root: root, filter: PathFilter()) { changes in
                log.append(changes)
                if firstCall.set() {
                    entered.signal()
                    _ = release.wait(timeout: .now() + 10)  // hold the reader while the queue fills
                }
            }
        }
        defer {
            release.signal()
            watcher.stop()
        }
        _ = try watcher.start()
        touch(root + "/first")
        try #require(entered.wait(timeout: .now() + 5) == .success, "the first change never arrived")
        for index in 0..<200 { touch(root + "/f\(index)") }
        mkdir(root + "/unannounced", 0o755)  // its create event is lost: only the re-walk can watch it
        release.signal()
        #expect(log.wait { $0.contains(.init(.overflow, "")) })
        touch(root + "/unannounced/file")
        #expect(log.wait { $0.contains(.init(.settled, "unannounced/file")) })
    }

    @Test func reportsLimitProblem_whenWatchLimitReached() throws {
        let share = try WatchedShare("limit")
        defer { share.close() }
        for index in 0..<10 { mkdir(share.root + "/d\(index)", 0o755) }
        let saved = try Sysctl.read(Sysctl.maxUserWatches)
        let limit = Sysctl.watchesInUse() + 3
        let report: InotifyWatcher.Report
        do {
            // Per user on the whole machine: keep the window short.
            try Sysctl.write(Sysctl.maxUserWatches, limit)
            defer { Sysctl.restore(Sysctl.maxUserWatches, saved) }
            report = try share.watcher.start()
        }
        #expect(report.watches <= 3)
        let problem = try #require(report.limitProblem)
        #expect(problem.contains("fs.inotify.max_user_watches = \(limit)"))
        #expect(problem.contains("after \(report.watches) watches"))
        #expect(share.log.wait { changes in changes.contains { $0.kind == .overflow } })
        // With the limit back, the directories left out are watched within a retry and compared again.
        #expect(
            share.log.wait { _ in share.watcher.watchCount == 11 },
            "watches after the retry: \(share.watcher.watchCount)")
        #expect(share.watcher.currentLimitProblem == nil)
        touch(share.root + "/d9/late")
        #expect(share.log.wait { $0.contains(.init(.settled, "d9/late")) })
    }
}

/// A temporary share with a watcher (not yet started) that logs what it reports.
private final class WatchedShare: Sendable {
    let root: String
    let log = ChangeLog()
    let watcher: InotifyWatcher
    private let held = DispatchSemaphore(value: 0)
    private let released = DispatchSemaphore(value: 0)

    /// With `holdFirstCallback`, the reading thread stops in the first callback until `release()`, so that the
    /// events made meanwhile are read together.
    init(_ label: String, filter: PathFilter = PathFilter(), holdFirstCallback: Bool = false) throws {
        let root = TestTree.makeTemporaryDirectory("inotify-\(label)")
        self.root = root
        let log = log
        let (held, released) = (held, released)
        let first = LockedFlag()
        do {
            watcher = try InotifyWatcher(root: root, filter: filter) { changes in
                log.append(changes)
                if holdFirstCallback && first.set() {
                    held.signal()
                    _ = released.wait(timeout: .now() + 10)
                }
            }
        } catch {
            TestTree.remove(root)
            throw error
        }
    }

    func start() throws {
        let report = try watcher.start()
        #expect(report.limitProblem == nil)
    }

    /// Makes a file and waits for its report: everything done before it has been reported by then.
    func sentinel() -> Bool {
        let name = "sentinel-\(UInt32.random(in: 0...UInt32.max))"
        touch(root + "/" + name)
        return log.wait { $0.contains(.init(.settled, name)) }
    }

    func waitUntilHeld() -> Bool { held.wait(timeout: .now() + 5) == .success }

    func release() { released.signal() }

    func close() {
        released.signal()
        watcher.stop()
        #expect(!log.batches.contains { $0.isEmpty }, "onChanges was called with no changes")
        TestTree.remove(root)
    }
}

/// What a watcher reported, by callback.
private final class ChangeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var received: [[CapturedChange]] = []

    func append(_ changes: [CapturedChange]) {
        lock.withLock { received.append(changes) }
    }

    var batches: [[CapturedChange]] { lock.withLock { received } }
    var changes: [CapturedChange] { batches.flatMap { $0 } }

    func clear() { lock.withLock { received = [] } }

    /// Polls for at most `seconds`; true once `condition` holds for everything reported so far.
    func wait(seconds: Double = 5, until condition: (Set<CapturedChange>) -> Bool) -> Bool {
        let deadline = DispatchTime.now() + seconds
        while DispatchTime.now() < deadline {
            if condition(Set(changes)) { return true }
            usleep(10_000)
        }
        return condition(Set(changes))
    }
}

private final class LockedFlag: @unchecked Sendable {
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

/// IN_* values from <sys/inotify.h>, for events made up by the tests.
private enum InotifyBits {
    static let attrib: UInt32 = 0x4
    static let movedFrom: UInt32 = 0x40
    static let movedTo: UInt32 = 0x80
    static let isDirectory: UInt32 = 0x4000_0000
}

/// One `struct inotify_event` as read() returns it: the header, then the name padded with NULs.
private func inotifyEvent(_ watch: Int32, _ mask: UInt32, cookie: UInt32, name: String) -> [UInt8] {
    var padded = name.isEmpty ? [] : Array(name.utf8) + [0]
    while padded.count % 16 != 0 { padded.append(0) }
    var bytes: [UInt8] = []
    withUnsafeBytes(of: watch) { bytes += $0 }
    withUnsafeBytes(of: mask) { bytes += $0 }
    withUnsafeBytes(of: cookie) { bytes += $0 }
    withUnsafeBytes(of: UInt32(padded.count)) { bytes += $0 }
    return bytes + padded
}

/// What the reading thread does with one read().
private func feed(_ watcher: InotifyWatcher, _ bytes: [UInt8]) {
    bytes.withUnsafeBytes { watcher.handleEvents($0) }
    watcher.resolvePendingMoves(olderThan: 1)
}

/// Calls `body` with the path of `name` (bytes that are not UTF-8) in `directory`.
private func notUTF8(_ directory: String, _ name: [UInt8], _ body: (UnsafePointer<CChar>) -> Int32) {
    let path = Array(directory.utf8) + [UInt8(ascii: "/")] + name + [0]
    let result = path.map { CChar(bitPattern: $0) }.withUnsafeBufferPointer { body($0.baseAddress!) }
    #expect(result >= 0, "cannot make a file with a name that is not UTF-8")
}

private func touch(_ path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
    if fd >= 0 { close(fd) }
}

/// The inotify limits under /proc/sys. Failing to set one fails the test: skipping would hide a missing check.
private enum Sysctl {
    static let maxQueuedEvents = "/proc/sys/fs/inotify/max_queued_events"
    static let maxUserWatches = "/proc/sys/fs/inotify/max_user_watches"

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func read(_ file: String) throws -> Int {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8),
            let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw Failure(description: "cannot read \(file); this test needs it") }
        return value
    }

    static func write(_ file: String, _ value: Int) throws {
        let fd = open(file, O_WRONLY | O_TRUNC)
        guard fd >= 0 else {
            throw Failure(
                description:
                    "cannot open \(file) for writing (\(String(cString: strerror(errno)))); this test needs root")
        }
        defer { close(fd) }
        let text = Array("\(value)\n".utf8)
        guard Glibc.write(fd, text, text.count) == text.count else {
            throw Failure(description: "cannot write \(value) to \(file) (\(String(cString: strerror(errno))))")
        }
    }

    static func restore(_ file: String, _ value: Int) {
        do { try write(file, value) } catch { Issue.record("could not restore \(file) to \(value): \(error)") }
    }

    /// Watches held now by processes of our effective user, from /proc/<pid>/fdinfo.
    static func watchesInUse() -> Int {
        let uid = String(geteuid())
        var count = 0
        for pid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(pid) != nil {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                let uidLine = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }),
                uidLine.split(whereSeparator: \.isWhitespace).dropFirst(2).first.map(String.init) == uid
            else { continue }
            for fd in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fdinfo")) ?? [] {
                guard let info = try? String(contentsOfFile: "/proc/\(pid)/fdinfo/\(fd)", encoding: .utf8) else {
                    continue
                }
                count += info.split(separator: "\n").count { $0.hasPrefix("inotify wd:") }
            }
        }
        return count
    }
}
