#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import Testing
@testable import UnderstudyChangeCapture
import UnderstudyCore

/// One suite for both change capture backends: real fanotify and real inotify on temporary trees must report the
/// same changes for the same operations. Watch counts are inotify's alone (fanotify marks the file system).
@Suite(.serialized) struct ChangeWatcherConformanceTests {
    @Test(arguments: CaptureBackend.allCases) func reportsSettled_whenFileCreated(
        _ backend: CaptureBackend
    ) async throws {
        let share = try WatchedShare("create", backend: backend)
        defer { share.close() }
        try share.start()
        touch(share.root + "/new")
        #expect(await share.log.wait { $0.contains(.init(.settled, "new")) && $0.contains(.init(.settled, "")) })
    }

    @Test(arguments: CaptureBackend.allCases) func reportsWritingThenSettled_whenFileWrittenAndClosed(
        _ backend: CaptureBackend
    ) async throws {
        let share = try WatchedShare("write", backend: backend)
        defer { share.close() }
        TestTree.write(share.root, "file", "old")
        try share.start()
        let fd = open(share.root + "/file", O_WRONLY | O_APPEND)
        try #require(fd >= 0)
        _ = write(fd, "more", 4)
        let writing = await share.log.wait { $0.contains(.init(.writing, "file")) }
        let settledWhileOpen = share.log.changes.contains(.init(.settled, "file"))
        close(fd)
        #expect(writing)
        #expect(!settledWhileOpen)
        #expect(await share.log.wait { $0.contains(.init(.settled, "file")) })
    }

    @Test(arguments: CaptureBackend.allCases) func watchesEveryNewDirectory_whenFilesAreMadeInsideAtOnce(
        _ backend: CaptureBackend
    ) async throws {
        let share = try WatchedShare("mkdir", backend: backend)
        defer { share.close() }
        try share.start()
        for index in 0..<50 {
            mkdir(share.root + "/d\(index)", 0o755)
            touch(share.root + "/d\(index)/early")
        }
        try FileManager.default.createDirectory(atPath: share.root + "/a/b/c", withIntermediateDirectories: true)
        touch(share.root + "/a/b/c/early")
        let directories = (0..<50).map { CapturedChange(.tree, "d\($0)") } + [CapturedChange(.tree, "a")]
        #expect(await share.log.wait { changes in directories.allSatisfy(changes.contains) })
        // `mkdir -p` makes b and c after the watcher may have read a: their watches can come one batch after the
        // report of a (their own creation events are watched by then). The count reaches every directory soon.
        for _ in 0..<500 where !share.watchCount(1 + 50 + 3) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(share.watchCount(1 + 50 + 3))
        for index in 0..<50 { touch(share.root + "/d\(index)/late") }
        touch(share.root + "/a/b/c/late")
        let late = (0..<50).map { CapturedChange(.settled, "d\($0)/late") } + [CapturedChange(.settled, "a/b/c/late")]
        #expect(await share.log.wait { changes in late.allSatisfy(changes.contains) })
    }

    @Test(arguments: CaptureBackend.allCases) func reportsBothPathsInOneCallback_whenFileRenamed(
        _ backend: CaptureBackend
    ) async throws {
        let share = try WatchedShare("rename-file", backend: backend)
        defer { share.close() }
        TestTree.write(share.root, "d/from", "x")
        mkdir(share.root + "/e", 0o755)
        try share.start()
        rename(share.root + "/d/from", share.root + "/e/to")
        let expected: Set<CapturedChange> = [
            .init(.tree, "d/from"), .init(.tree, "e/to"), .init(.settled, "d"), .init(.settled, "e"),
        ]
        #expect(await share.log.wait { _ in share.log.batches.contains { expected.isSubset(of: $0) } })
    }

    @Test(arguments: CaptureBackend.allCases) func followsRenamedDirectory_withItsNewPathForEverythingBelow(
        _ backend: CaptureBackend
    ) async throws {
        let share = try WatchedShare("rename-dir", backend: backend)
        defer { share.close() }
        try FileManager.default.createDirectory(atPath: share.root + "/old/sub/deep", withIntermediateDirectories: true)
        try share.start()
        #expect(share.watchCount(4))
        rename(share.root + "/old", share.root + "/new")
        #expect(await share.log.wait { $0.contains(.init(.tree, "new")) && $0.contains(.init(.tree, "old")) })
        share.log.clear()
        touch(share.root + "/new/sub/deep/file")
        touch(share.root + "/new/file")
        #expect(
            await share.log.wait {
                $0.contains(.init(.settled, "new/sub/deep/file")) && $0.contains(.init(.settled, "new/file"))
            })
        #expect(!share.log.changes.contains { $0.path.hasPrefix("old") })
        #expect(share.watchCount(4))
    }

    @Test(arguments: CaptureBackend.allCases) func keepsWatchesRight_whenDirectoryRenamedAndReplacedBeforeRead(
        _ backend: CaptureBackend
    ) async throws {
        let share = try WatchedShare("replace", backend: backend, holdFirstCallback: true)
        defer { share.close() }
        try share.start()
        touch(share.root + "/first")
        try #require(await share.waitUntilHeld(), "the first change never arrived")
        mkdir(share.root + "/new", 0o755)
        rename(share.root + "/new", share.root + "/other")
        mkdir(share.root + "/new", 0o755)
        share.release()
        #expect(await share.log.wait { $0.isSuperset(of: [.init(.tree, "new"), .init(.tree, "other")]) })
        touch(share.root + "/new/file")
        touch(share.root + "/other/file")
        #expect(
            await share.log.wait { $0.isSuperset(of: [.init(.settled, "new/file"), .init(.settled, "other/file")]) })
        #expect(share.watchCount(3))
    }

    @Test(arguments: CaptureBackend.allCases) func reportsNothingMore_whenDirectoryMovedOutOfShare(
        _ backend: CaptureBackend
    ) async throws {
        let share = try WatchedShare("move-out", backend: backend)
        let outside = share.outside("outside")
        defer { share.close() }
        try FileManager.default.createDirectory(atPath: share.root + "/leaving/sub", withIntermediateDirectories: true)
        try share.start()
        rename(share.root + "/leaving", outside + "/leaving")
        #expect(await share.log.wait { $0.contains(.init(.tree, "leaving")) })
        #expect(share.watchCount(1))
        share.log.clear()
        touch(outside + "/leaving/file")
        touch(outside + "/leaving/sub/file")
        #expect(await share.sentinel())
        #expect(!share.log.changes.contains { $0.path.hasPrefix("leaving") })
    }

    @Test(arguments: CaptureBackend.allCases) func watchesDirectory_whenMovedInFromOutside(
        _ backend: CaptureBackend
    ) async throws {
        let share = try WatchedShare("move-in", backend: backend)
        let outside = share.outside("outside")
        defer { share.close() }
        try FileManager.default.createDirectory(atPath: outside + "/coming/sub", withIntermediateDirectories: true)
        try share.start()
        rename(outside + "/coming", share.root + "/coming")
        #expect(await share.log.wait { $0.contains(.init(.tree, "coming")) && $0.contains(.init(.settled, "")) })
        #expect(share.watchCount(3))
        touch(share.root + "/coming/sub/file")
        #expect(await share.log.wait { $0.contains(.init(.settled, "coming/sub/file")) })
    }

    @Test(arguments: CaptureBackend.allCases) func reportsTree_whenEntriesDeleted(
        _ backend: CaptureBackend
    ) async throws {
        let share = try WatchedShare("delete", backend: backend)
        defer { share.close() }
        TestTree.write(share.root, "file", "x")
        mkdir(share.root + "/dir", 0o755)
        try share.start()
        unlink(share.root + "/file")
        rmdir(share.root + "/dir")
        #expect(
            await share.log.wait {
                $0.isSuperset(of: [.init(.tree, "file"), .init(.tree, "dir"), .init(.settled, "")])
            })
        #expect(await share.log.wait { _ in share.watchCount(1) })
    }

    @Test(arguments: CaptureBackend.allCases) func reportsNothing_forExcludedAndReservedPaths(
        _ backend: CaptureBackend
    ) async throws {
        let share = try WatchedShare(
            "exclude", backend: backend, filter: try PathFilter(include: [], exclude: ["*.tmp", "cache/"]))
        defer { share.close() }
        mkdir(share.root + "/cache", 0o755)
        mkdir(share.root + "/kept", 0o755)
        mkdir(share.root + "/.understudy.reserved", 0o755)
        notUTF8(share.root, [0x64, 0xFE]) { mkdir($0, 0o755) }
        try share.start()
        #expect(share.watchCount(2))
        touch(share.root + "/save.tmp")
        touch(share.root + "/cache/entry")
        mkdir(share.root + "/kept/cache", 0o755)
        touch(share.root + "/kept/cache/entry")
        touch(share.root + "/.understudy.tmp.0123456789abcdef")
        mkdir(share.root + "/.understudy.dir", 0o755)
        notUTF8(share.root, [0x66, 0xFF]) { close(open($0, O_WRONLY | O_CREAT, 0o644)) }
        notUTF8(share.root, [0x65, 0xFE]) { mkdir($0, 0o755) }
        #expect(await share.sentinel())
        #expect(share.log.changes.filter { !$0.path.isEmpty && !$0.path.hasPrefix("sentinel-") } == [])
        #expect(share.watchCount(2))
        rename(share.root + "/save.tmp", share.root + "/saved")
        #expect(await share.log.wait { $0.contains(.init(.tree, "saved")) })
        #expect(!share.log.changes.contains { $0.path.contains("tmp") })
    }

    @Test(arguments: CaptureBackend.allCases) func reportsSettled_whenSymlinkCreated(
        _ backend: CaptureBackend
    ) async throws {
        let share = try WatchedShare("symlink", backend: backend)
        defer { share.close() }
        try share.start()
        TestTree.symlink(share.root, "link", target: "../elsewhere")
        #expect(await share.log.wait { $0.contains(.init(.settled, "link")) && $0.contains(.init(.settled, "")) })
    }

    @Test(arguments: CaptureBackend.allCases) func reportsSettled_whenModeChanged(
        _ backend: CaptureBackend
    ) async throws {
        let share = try WatchedShare("chmod", backend: backend)
        defer { share.close() }
        TestTree.write(share.root, "dir/file", "x")
        try share.start()
        chmod(share.root + "/dir/file", 0o600)
        chmod(share.root + "/dir", 0o700)
        chmod(share.root, 0o750)
        #expect(
            await share.log.wait {
                $0.isSuperset(of: [.init(.settled, "dir/file"), .init(.settled, "dir"), .init(.settled, "")])
            })
    }

    @Test(arguments: CaptureBackend.allCases) func endsCallbacks_whenStoppedTwice(
        _ backend: CaptureBackend
    ) async throws {
        let share = try WatchedShare("stop", backend: backend)
        defer { share.close() }
        try share.start()
        share.watcher.stop()
        share.watcher.stop()
        touch(share.root + "/after")
        try await Task.sleep(for: .milliseconds(200))
        #expect(share.log.changes.isEmpty)
    }
}
