#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import Testing
@testable import UnderstudyChangeCapture
import UnderstudyCore
import UnderstudyFileSystem

/// What only fanotify does, on real fanotify (one mark on the temporary trees' whole file system). The behaviour
/// both backends share is in `ChangeWatcherConformanceTests`.
@Suite(.serialized) struct FanotifyWatcherTests {
    @Test func reportsNothing_forChangesElsewhereOnTheSameFileSystem() async throws {
        let share = try WatchedShare("elsewhere", backend: .fanotify)
        defer { share.close() }
        let sibling = share.outside("sibling")
        // A directory whose name starts like the share's: a prefix test without the "/" would take it in.
        let lookalike = share.outside("share-lookalike")
        try share.start()
        touch(sibling + "/file")
        mkdir(sibling + "/dir", 0o755)
        touch(lookalike + "/file")
        rename(sibling + "/file", sibling + "/dir/moved")
        #expect(await share.sentinel())
        #expect(share.log.changes.allSatisfy { $0.path.isEmpty || $0.path.hasPrefix("sentinel-") })
    }

    @Test func reportsMovesInAndOut_whenRenamedBetweenShareAndElsewhere() async throws {
        let share = try WatchedShare("moves", backend: .fanotify)
        defer { share.close() }
        let outside = share.outside("outside")
        touch(outside + "/incoming")
        touch(share.root + "/outgoing")
        try share.start()
        rename(outside + "/incoming", share.root + "/arrived")
        rename(share.root + "/outgoing", outside + "/left")
        #expect(
            await share.log.wait {
                $0.isSuperset(of: [.init(.tree, "arrived"), .init(.tree, "outgoing"), .init(.settled, "")])
            })
        #expect(!share.log.changes.contains { $0.path == "left" || $0.path == "incoming" })
    }

    @Test func reportsNewPaths_whenDirectoryRenamedWhileItsEventsWait() async throws {
        let share = try WatchedShare("stale-cache", backend: .fanotify, holdFirstCallback: true)
        defer { share.close() }
        try FileManager.default.createDirectory(atPath: share.root + "/a/b", withIntermediateDirectories: true)
        try share.start()
        touch(share.root + "/a/b/first")  // puts a/b in the path cache, and holds the reader
        try #require(await share.waitUntilHeld(), "the first change never arrived")
        rename(share.root + "/a", share.root + "/z")
        touch(share.root + "/z/b/second")
        share.release()
        #expect(await share.log.wait { $0.isSuperset(of: [.init(.tree, "a"), .init(.tree, "z")]) })
        // Looked up after the rename: the cache was emptied by the directory's rename, so no stale "a/b/second".
        #expect(await share.log.wait { $0.contains(.init(.settled, "z/b/second")) })
        #expect(!share.log.changes.contains { $0.path == "a/b/second" })
        touch(share.root + "/z/b/third")
        #expect(await share.log.wait { $0.contains(.init(.settled, "z/b/third")) })
    }

    @Test func reportsOverflow_whenShareRootRemovedOrRenamed() async throws {
        let removed = try WatchedShare("root-removed", backend: .fanotify)
        defer { removed.close() }
        try removed.start()
        rmdir(removed.root)
        #expect(await removed.log.wait { $0.contains(.init(.overflow, "")) })

        let renamed = try WatchedShare("root-renamed", backend: .fanotify)
        let elsewhere = renamed.root + "-moved"
        defer { renamed.close() }
        try renamed.start()
        rename(renamed.root, elsewhere)
        #expect(await renamed.log.wait { $0.contains(.init(.overflow, "")) })
    }

    @Test func reportsOverflow_whenKernelQueueOverflows() async throws {
        // fanotify queues 16384 events; the reader is held in its first callback while more are made.
        let share = try WatchedShare("overflow", backend: .fanotify, holdFirstCallback: true)
        defer { share.close() }
        mkdir(share.root + "/many", 0o755)
        try share.start()
        touch(share.root + "/first")
        try #require(await share.waitUntilHeld(), "the first change never arrived")
        for index in 0..<17_000 { touch(share.root + "/many/\(index)") }
        share.release()
        #expect(await share.log.wait(seconds: 20) { $0.contains(.init(.overflow, "")) })
        touch(share.root + "/after")
        #expect(await share.log.wait { $0.contains(.init(.settled, "after")) })
    }

    @Test func sharesOneGroupPerMount_andKeepsEachShareToItsOwnChanges() async throws {
        let first = try WatchedShare("hub", backend: .fanotify)
        defer { first.close() }
        let secondRoot = first.outside("second")
        let secondLog = ChangeLog()
        let second = try FanotifyWatcher(root: secondRoot, filter: PathFilter()) { secondLog.append($0) }
        defer { second.stop() }
        #expect((first.watcher as? FanotifyWatcher)?.hub === second.hub, "one mount: one fanotify group")
        try first.start()
        _ = try second.start()
        touch(first.root + "/mine")
        touch(secondRoot + "/yours")
        #expect(await first.log.wait { $0.contains(.init(.settled, "mine")) })
        #expect(await secondLog.wait { $0.contains(.init(.settled, "yours")) })
        #expect(await first.sentinel())
        #expect(!first.log.changes.contains { $0.path == "yours" })
        #expect(!secondLog.changes.contains { $0.path == "mine" })
        // One share stops; the other goes on through the same group.
        first.watcher.stop()
        first.log.clear()
        touch(first.root + "/after-stop")
        touch(secondRoot + "/still-watched")
        #expect(await secondLog.wait { $0.contains(.init(.settled, "still-watched")) })
        #expect(first.log.changes.isEmpty)
    }

    @Test func choosesFanotify_whenAutoAndRunningAsRoot() async throws {
        let root = TestTree.makeTemporaryDirectory("fanotify-auto")
        defer { TestTree.remove(root) }
        let (watcher, fallback) = try ChangeWatchers.make(root: root, filter: PathFilter(), method: .auto) { _ in }
        defer { watcher.stop() }
        #expect(watcher.backend == .fanotify, "the tests run as root on Linux 6, where fanotify is there")
        #expect(fallback == nil)
        #expect(try watcher.start().watches == nil)
    }

    @Test func refusesToStart_whenShareRootIsMissing() async {
        let missing = "/tmp/understudy-test-no-such-share-\(UInt32.random(in: 0...UInt32.max))"
        #expect(throws: FileSystemError.self) {
            _ = try FanotifyWatcher(root: missing, filter: PathFilter()) { _ in }
        }
    }
}
