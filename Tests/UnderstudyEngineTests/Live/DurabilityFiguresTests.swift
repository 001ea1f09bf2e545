import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyNode

/// The standby's durable work shows in its status (and so in `/metrics`): the `syncfs` its replica's writers asked
/// for and the calls made for them, the resume points saved and the commits that saved them. The primary writes no
/// replica, and asks for none.
@Suite struct DurabilityFiguresTests {
    @Test func aStandbysStatus_countsItsSyncfsAndResumePoints_andThePrimaryAsksForNone() async throws {
        let cluster = try TestCluster(label: "durability-figures")
        defer { Task { await cluster.remove() } }
        TestTree.write(cluster.source, "docs/a.txt", "first")
        try cluster.start("alpha")
        try cluster.start("beta")
        try await LiveMirrorTests.expectConverged(cluster, "first comparison")
        let before = try #require(try await cluster.status("beta").durability)
        TestTree.write(cluster.source, "docs/b.txt", "a live change")
        try await LiveMirrorTests.expectConverged(cluster, "after a live change")
        let standby = try #require(try await cluster.status("beta").durability)
        #expect(standby.syncfsRequests > before.syncfsRequests, "the live sync asked for syncfs: \(standby)")
        #expect(standby.syncfsCalls >= 1 && standby.syncfsCalls <= standby.syncfsRequests, "\(standby)")
        #expect(standby.resumePointSaves > before.resumePointSaves, "the live sync saved its resume point")
        #expect(standby.resumePointCommits >= 1 && standby.resumePointCommits <= standby.resumePointSaves)
        let primary = try #require(try await cluster.status("alpha").durability)
        #expect(primary.syncfsRequests == 0 && primary.resumePointSaves == 0, "\(primary)")
    }
}
