import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import Testing
@testable import UnderstudyCertificates
import UnderstudyCore
@testable import UnderstudyFailover
@testable import UnderstudyNode
@testable import UnderstudyReplication
import UnderstudySupport

/// The failover part of two running nodes while a reload adds one group and removes another (heartbeats on loopback,
/// alpha on 127.0.0.1 and beta on 127.0.0.2): the added group is watched as one of the start, down to a takeover
/// when its primary falls silent; the removed one is watched no more, so its primary's silence takes nothing over.
@Suite(.serialized)
struct FailoverServiceReloadTests {
    @Test func aGroupAddedWhileRunning_isTakenOverWhenItsPrimaryFallsSilent_andARemovedGroupIsNot() async throws {
        let pair = try await FailoverServiceTests.Pair(
            "failover-service-reload",
            trailer: """
                [groups.mail]
                primary = "alpha"
                standby = "beta"
                [[groups.mail.shares]]
                name = "spool"
                source = "\(FileManager.default.temporaryDirectory.path)/unused-mail-source"
                replica = "\(FileManager.default.temporaryDirectory.path)/unused-mail-replica"
                """, absent: ["mail"])
        defer { TestTree.remove(pair.root) }
        let mail = try #require(pair.full.groups["mail"])
        let (alpha, beta, alphaFailover, betaFailover) = (pair.alpha, pair.beta, pair.alphaFailover, pair.betaFailover)
        let notified = pair.betaNotified
        let alphaRunning = Task { await alphaFailover.run() }
        let betaRunning = Task { await betaFailover.run() }
        defer { betaRunning.cancel() }
        #expect(await eventually(seconds: 20) { betaFailover.snapshot().links.contains { $0.state == "up" } })

        // The reload on both nodes: mail comes, files goes.
        for (runtime, failover) in [(alpha, alphaFailover), (beta, betaFailover)] {
            #expect(failover.refusal(toWatch: mail) == nil)
            _ = try runtime.addGroup(mail)
            try failover.addGroup(mail)
            let release = failover.stopWatching("files")
            await release()
            _ = runtime.removeGroup("files")
        }
        #expect(betaFailover.snapshot().groups.map(\.group) == ["mail"])
        // Beta hears alpha's state of the new group in its heartbeats.
        #expect(
            await eventually(seconds: 20) {
                betaFailover.snapshot().groups.first { $0.group == "mail" }?.peerPhase != nil
            }, "\(betaFailover.snapshot())")
        // Beta's replica of mail completed a sync (the status a sync leaves behind).
        beta.status.update(group: "mail", share: "spool") { $0.lastSyncAt = Date() }

        alphaRunning.cancel()
        await alphaRunning.value
        #expect(await eventually(seconds: 20) { beta.owns(group: "mail") }, "beta takes the added group over")
        #expect(!beta.owns(group: "files"))
        let stored = try beta.database.loadOwnership(group: "mail")
        #expect(stored?.owner == "beta" && (stored?.epoch ?? 0) >= 1, "\(String(describing: stored))")
        // Nothing was decided of the removed group: its stored holder is still alpha.
        #expect(try beta.database.loadOwnership(group: "files")?.owner ?? "alpha" == "alpha")
        #expect(!notified.withLockedValue { $0 }.contains { $0.group == "files" })
        betaRunning.cancel()
        await betaRunning.value
    }

    /// The primary's node reloaded first: it stops watching the pair's only group, yet heartbeats its peer until the
    /// peer no longer watches it either, so the standby hears no silence and takes nothing over; once the standby's
    /// node is reloaded too, both stop.
    @Test func aGroupRemovedOnThePrimaryFirst_isNotTakenOverByTheStandby_andHeartbeatsStopOnceBothLetItGo()
        async throws
    {
        let pair = try await FailoverServiceTests.Pair("failover-service-retire")
        defer { TestTree.remove(pair.root) }
        let (alpha, beta, alphaFailover, betaFailover) = (pair.alpha, pair.beta, pair.alphaFailover, pair.betaFailover)
        let notified = pair.betaNotified
        // beta's replica completed a sync: silence alone would have it take the group over.
        beta.status.update(group: "files", share: "data") { $0.lastSyncAt = Date() }
        let alphaRunning = Task { await alphaFailover.run() }
        let betaRunning = Task { await betaFailover.run() }
        #expect(await eventually(seconds: 20) { betaFailover.snapshot().links.contains { $0.state == "up" } })

        await alphaFailover.stopWatching("files")()
        _ = alpha.removeGroup("files")
        #expect(alphaFailover.snapshot().groups.isEmpty)
        // Three dead times: beta still hears alpha, and takes nothing over.
        try await Task.sleep(for: .seconds(4.5))
        #expect(!beta.owns(group: "files"))
        #expect(!notified.withLockedValue { $0 }.contains { $0.kind == .primaryFailed || $0.kind == .takeoverFinished })
        #expect(alphaFailover.heartbeat?.routes.isEmpty == false, "alpha heartbeats beta while beta watches the group")

        await betaFailover.stopWatching("files")()
        _ = beta.removeGroup("files")
        #expect(
            await eventually(seconds: 10) {
                alphaFailover.heartbeat?.routes.isEmpty == true && betaFailover.heartbeat?.routes.isEmpty == true
            }, "both stop heartbeating once neither watches the group")
        // The one let go first says nothing of a link down.
        #expect(!notified.withLockedValue { $0 }.contains { $0.kind == .linkDown })
        alphaRunning.cancel()
        betaRunning.cancel()
        await alphaRunning.value
        await betaRunning.value
    }
}
