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

/// The failover part on its own, without a daemon (authenticated heartbeats on loopback, alpha on 127.0.0.1 and beta
/// on 127.0.0.2, no service address): the standby takes the group over when the primary falls silent, and only once
/// its replica completed a sync.
@Suite(.serialized)
struct FailoverServiceTests {
    /// alpha and beta of group `files`, each with its runtime and failover part (not yet running).
    final class Pair: Sendable {
        let root: String
        let alpha: NodeRuntime
        let beta: NodeRuntime
        let alphaFailover: FailoverService
        let betaFailover: FailoverService
        /// What beta's failover part notified.
        let betaNotified = NIOLockedValueBox<[NotificationEvent]>([])

        /// The whole configuration (`trailer` after group `files`); the nodes start without the groups `absent`.
        let full: ClusterConfiguration

        init(_ label: String, trailer: String = "", absent: [String] = []) async throws {
            let root = TestTree.makeTemporaryDirectory(label)
            self.root = root
            full = try TestConfiguration.linkedPair(
                root: root,
                heartbeat: """
                    interval = "200ms"
                    dead_time = "1500ms"
                    port = \(try TestPorts.take())
                    """, trailer: trailer)
            var started = full
            for group in absent { started.groups[group] = nil }
            let configuration = started
            let store = CertificateStore(directory: configuration.certificatesDirectory)
            _ = try store.initialize(cluster: "test", nodes: ["alpha", "beta"], now: Date())
            let key = try store.loadClusterKey()
            alpha = try await onThread {
                try NodeRuntime(configuration: configuration, name: "alpha", logger: .init(label: "alpha"))
            }
            beta = try await onThread {
                try NodeRuntime(configuration: configuration, name: "beta", logger: .init(label: "beta"))
            }
            alphaFailover = try FailoverService(
                runtime: alpha, clusterKey: key, notifier: { _ in },
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                followers: StandbyFollowers())
            let notified = betaNotified
            betaFailover = try FailoverService(
                runtime: beta, clusterKey: key, notifier: { event in notified.withLockedValue { $0.append(event) } },
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton, followers: StandbyFollowers())
        }

        func stop(_ task: Task<Void, Never>) async {
            task.cancel()
            await task.value
        }
    }

    @Test func theStandby_takesTheGroupOver_whenThePrimaryFallsSilent_andStoresTheNewEpoch() async throws {
        let pair = try await Pair("failover-service-takeover")
        defer { TestTree.remove(pair.root) }
        // beta's replica completed a sync (the status a sync leaves behind).
        pair.beta.status.update(group: "files", share: "data") { $0.lastSyncAt = Date() }
        let alphaRunning = Task { await pair.alphaFailover.run() }
        let betaRunning = Task { await pair.betaFailover.run() }
        let heard = await eventually(seconds: 20) {
            pair.betaFailover.snapshot().links.contains { $0.state == "up" }
        }
        #expect(heard, "beta hears alpha's heartbeats: \(pair.betaFailover.snapshot())")
        #expect(!pair.beta.owns(group: "files"))

        await pair.stop(alphaRunning)
        let tookOver = await eventually(seconds: 20) { pair.beta.owns(group: "files") }
        // The group is beta's once the epoch is stored; the takeover's last notice comes after its remaining steps.
        _ = await eventually(seconds: 10) {
            pair.betaNotified.withLockedValue { $0 }.contains { $0.kind == .takeoverFinished }
        }
        await pair.stop(betaRunning)
        #expect(tookOver, "beta holds the group after alpha fell silent")
        let stored = try pair.beta.database.loadOwnership(group: "files")
        #expect(
            stored?.owner == "beta" && (stored?.epoch ?? 0) >= 1, "the epoch is stored: \(String(describing: stored))")
        #expect(pair.betaNotified.withLockedValue { $0 }.contains { $0.kind == .takeoverFinished })
    }

    @Test func aStandbyWhoseReplicaNeverSynced_doesNotTakeOver_andSaysWhy() async throws {
        let pair = try await Pair("failover-service-unsynced")
        defer { TestTree.remove(pair.root) }
        let alphaRunning = Task { await pair.alphaFailover.run() }
        let betaRunning = Task { await pair.betaFailover.run() }
        _ = await eventually(seconds: 20) { pair.betaFailover.snapshot().links.contains { $0.state == "up" } }

        await pair.stop(alphaRunning)
        let told = await eventually(seconds: 20) {
            pair.betaNotified.withLockedValue { $0 }.contains {
                $0.kind == .primaryFailed && $0.summary.contains("never completed its first sync")
            }
        }
        await pair.stop(betaRunning)
        #expect(told, "beta says why it does not take over: \(pair.betaNotified.withLockedValue { $0 })")
        #expect(!pair.beta.owns(group: "files"))
        #expect(try pair.beta.database.loadOwnership(group: "files")?.owner != "beta")
    }
}
