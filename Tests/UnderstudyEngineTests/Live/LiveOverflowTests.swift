#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudySupport

/// Lost change events (a queue overflow) cost a stat walk of the share, not a resend: the replica converges
/// and only what changed travels.
@Suite(.serialized)
struct LiveOverflowTests {
    static let queueSetting = "/proc/sys/fs/inotify/max_queued_events"

    @Test func queueOverflow_isRepairedByAStatWalk_withoutResendingTheTree() async throws {
        // inotify: its queue's length is a setting (fanotify's overflow is in FanotifyWatcherTests).
        let cluster = try TestCluster(label: "live-overflow", nodeExtra: ["alpha": "change_capture = \"inotify\""])
        defer { Task { await cluster.remove() } }
        for index in 0..<300 {
            TestTree.write(cluster.source, "base/\(index)", TestTree.randomBytes(8000, seed: UInt64(index)))
        }
        let saved = try String(contentsOfFile: Self.queueSetting, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        // The limit is taken when an inotify instance is made: only the primary's capture, made now, gets a
        // queue of 4 events; the setting is restored as soon as it is watching.
        try "4\n".write(toFile: Self.queueSetting, atomically: false, encoding: .utf8)
        do {
            defer { try? "\(saved)\n".write(toFile: Self.queueSetting, atomically: false, encoding: .utf8) }
            try cluster.start("alpha")
            #expect(!(await cluster.logs.waitFor("directories of files/data for changes")).isEmpty)
        }
        try cluster.start("beta")
        var left = try await cluster.waitUntilConverged(seconds: 60)
        #expect(left.isEmpty, "first comparison: \(left.prefix(3))")
        // The replica can match before the primary has the standby's durable acknowledgement and counts the bytes.
        var first = try #require(try await cluster.status("alpha").groups.first?.shares.first)
        for _ in 0..<200 where first.fullSyncs < 1 {
            try await Task.sleep(for: .milliseconds(100))
            first = try #require(try await cluster.status("alpha").groups.first?.shares.first)
        }
        let sentBefore = first.bytesSent

        // Two writers at once on a two-core machine outrun the capture's reader: with a queue of 4 events the
        // burst overflows it (a single writer on a quiet machine once did not overflow a queue of 16).
        let source = cluster.source
        async let evens: Void = onThread {
            for index in stride(from: 0, to: 2000, by: 2) {
                TestTree.write(source, "burst/\(index % 20)/\(index)", "new \(index)")
            }
        }
        async let odds: Void = onThread {
            for index in stride(from: 1, to: 2000, by: 2) {
                TestTree.write(source, "burst/\(index % 20)/\(index)", "new \(index)")
            }
        }
        _ = try await (evens, odds)
        left = try await cluster.waitUntilConverged(seconds: 60)
        #expect(left.isEmpty, "after the overflow: \(left.prefix(3))")
        #expect(!cluster.logs.containing("kernel queue overflow").isEmpty, "the burst overflowed the 4-event queue")
        let share = try #require(try await cluster.status("alpha").groups.first?.shares.first)
        #expect(
            share.bytesSent - sentBefore < 300 * 8000 / 4,
            "only the new files travelled (\(share.bytesSent - sentBefore) bytes)")
        #expect(share.fullSyncs == 1, "the repair was a live sync of the whole share, on the same connection")
    }
}
