#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import Testing
@testable import UnderstudyChangeCapture
import UnderstudyCore
@testable import UnderstudyNode

/// What only inotify does, on real inotify and temporary trees (the behaviour both backends share is in
/// `ChangeWatcherConformanceTests`). Serialized: two tests change per-user inotify limits that every watcher of
/// this process would feel.
@Suite(.serialized) struct InotifyWatcherTests {

    @Test func pairsRenameHalves_whenSplitAcrossReads() async throws {
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

    @Test func treatsRenameAsMoveOut_whenSecondHalfDoesNotFollowWithinARead() async throws {
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

    @Test func reportsOverflow_whenKernelQueueOverflows() async throws {
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
        #expect(await log.wait { $0.contains(.init(.overflow, "")) })
        touch(root + "/unannounced/file")
        #expect(await log.wait { $0.contains(.init(.settled, "unannounced/file")) })
    }

    @Test func reportsLimitProblem_whenWatchLimitReached() async throws {
        let share = try WatchedShare("limit", backend: .inotify)
        defer { share.close() }
        for index in 0..<10 { mkdir(share.root + "/d\(index)", 0o755) }
        let saved = try Sysctl.read(Sysctl.maxUserWatches)
        let limit = Sysctl.watchesInUse() + 3
        let report: CaptureReport
        do {
            // Per user on the whole machine: keep the window short.
            try Sysctl.write(Sysctl.maxUserWatches, limit)
            defer { Sysctl.restore(Sysctl.maxUserWatches, saved) }
            report = try share.watcher.start()
        }
        #expect((report.watches ?? 0) <= 3)
        let problem = try #require(report.limitProblem)
        #expect(problem.contains("fs.inotify.max_user_watches = \(limit)"))
        #expect(problem.contains("after \(report.watches ?? -1) watches"))
        #expect(await share.log.wait { changes in changes.contains { $0.kind == .overflow } })
        // With the limit back, the directories left out are watched within a retry and compared again.
        #expect(
            await share.log.wait { _ in share.watcher.watchCount == 11 },
            "watches after the retry: \(share.watcher.watchCount ?? -1)")
        #expect(share.watcher.currentLimitProblem == nil)
        touch(share.root + "/d9/late")
        #expect(await share.log.wait { $0.contains(.init(.settled, "d9/late")) })
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
