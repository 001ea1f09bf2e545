import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
@testable import UnderstudyCertificates
@testable import UnderstudyControl
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudyPeers
@testable import UnderstudyReplication
import UnderstudySupport
@testable import UnderstudyTransport
import UnderstudyWire

/// The peer sessions on their own, without a daemon, failover or control socket (real TLS on loopback): alpha's
/// `PrimaryService` with its `CaptureService`, beta's `StandbyGroupService`, each given its node's runtime as the
/// narrow protocol it takes; a recording `SwitchoverDesk` and no links.
@Suite(.serialized)
struct PeerSessionsTests {
    /// Records the switchovers the peer asked for, and refuses them.
    final class RecordingDesk: SwitchoverDesk {
        let asked = NIOLockedValueBox<[ControlRequest]>([])
        func runSwitchover(askedByPeer request: ControlRequest) async -> ControlResponse {
            asked.withLockedValue { $0.append(request) }
            return ControlResponse.refused("the test's desk refuses", code: "test-desk")
        }
    }

    struct NoLinks: LinkViewSource {
        func linkViews(of peer: String) -> [String: MirrorRoute.LinkView] { [:] }
    }

    /// Both sessions, running until `stop`.
    final class Sessions: Sendable {
        let alpha: NodeRuntime
        let beta: NodeRuntime
        let requests = SyncRequests()
        let desk = RecordingDesk()
        let tasks: NIOLockedValueBox<[Task<Void, Never>]> = NIOLockedValueBox([])

        init(_ cluster: TestCluster) async throws {
            let configuration = cluster.configuration
            let logs = cluster.logs
            alpha = try await onThread {
                try NodeRuntime(configuration: configuration, name: "alpha", logger: logs.logger("alpha"))
            }
            beta = try await onThread {
                try NodeRuntime(configuration: configuration, name: "beta", logger: logs.logger("beta"))
            }
        }

        func start(_ cluster: TestCluster) async throws {
            // Everything that can throw comes first: nothing runs yet that would be left running.
            let store = CertificateStore(directory: cluster.configuration.certificatesDirectory)
            let alpha = alpha
            let listening = NIOLockedValueBox(false)
            let server = PrimaryService(
                node: alpha, tls: try PeerTLS.serverContext(try store.loadIdentity(node: "alpha")), switchovers: desk,
                onListening: { _ in listening.withLockedValue { $0 = true } })
            let follower = StandbyGroupService(
                node: beta, group: try #require(cluster.configuration.groups["files"]),
                tls: try PeerTLS.clientContext(try store.loadIdentity(node: "beta")), requests: requests,
                links: NoLinks())
            let captures = CaptureService(
                contexts: alpha.shares.all, holds: { alpha.owns(group: $0) }, logger: alpha.logger)
            await captures.start()
            tasks.withLockedValue {
                $0 = [
                    Task { await captures.run() }, Task { try? await server.run() }, Task { await follower.run() },
                ]
            }
            for _ in 0..<1000 where !listening.withLockedValue({ $0 }) { try? await Task.sleep(for: .milliseconds(10)) }
        }

        func stop() async {
            let tasks = tasks.withLockedValue { $0 }
            for task in tasks.reversed() {
                task.cancel()
                await task.value
            }
        }

        /// `understudy sync` on beta: the results of a full comparison, or nil after `seconds`.
        func sync(within seconds: Double = 60) async -> [SyncResult]? {
            let requests = requests
            return await within(seconds: seconds) { await requests.request() }
        }
    }

    @Test func theFollower_mirrorsTheServedTree_andAnswersAskedSyncs_withoutADaemon() async throws {
        let cluster = try TestCluster(label: "peer-sessions-sync")
        defer { TestTree.remove(cluster.root) }
        for index in 0..<20 { TestTree.write(cluster.source, "dir/\(index)", "file \(index)") }
        let sessions = try await Sessions(cluster)
        try await sessions.start(cluster)

        let answer = await sessions.sync()
        await sessions.stop()
        let results = try #require(answer, "the sync was answered")
        #expect(results.map(\.share) == ["data"] && results.allSatisfy(\.ok), "\(results)")
        #expect(try await cluster.differences().isEmpty)
        let served = try #require(sessions.alpha.status.snapshot(now: 0).first?.shares.first)
        #expect(served.fullSyncs >= 1, "the serving side counted the comparison")
    }

    @Test func aChangeWhileServed_reachesTheFollower_withoutAnyoneAsking() async throws {
        let cluster = try TestCluster(label: "peer-sessions-live")
        defer { TestTree.remove(cluster.root) }
        TestTree.write(cluster.source, "first", "before")
        let sessions = try await Sessions(cluster)
        try await sessions.start(cluster)
        let first = await sessions.sync()
        TestTree.write(cluster.source, "later/news", "after the first comparison")
        let left: [String]
        do {
            left = try await cluster.waitUntilConverged(seconds: 30)
        } catch {
            await sessions.stop()
            throw error
        }
        await sessions.stop()
        #expect(try #require(first, "the first sync was answered").allSatisfy(\.ok))
        #expect(left.isEmpty, "the live change arrived: \(left.prefix(3))")
    }

    @Test func aSwitchoverThePeerAsksFor_goesToTheDesk_andItsAnswerGoesBack() async throws {
        let cluster = try TestCluster(label: "peer-sessions-ask")
        defer { TestTree.remove(cluster.root) }
        let sessions = try await Sessions(cluster)
        let store = CertificateStore(directory: cluster.configuration.certificatesDirectory)
        let forwarder = SwitchoverForwarder(
            node: sessions.beta, logger: sessions.beta.logger,
            tls: try PeerTLS.clientContext(try store.loadIdentity(node: "beta")))
        try await sessions.start(cluster)
        let answer = await forwarder.ask("alpha", group: "files", failback: false, force: false, dryRun: true)
        await sessions.stop()
        #expect(sessions.desk.asked.withLockedValue { $0 } == [.switchover(group: "files", force: false, dryRun: true)])
        #expect(!answer.ok && answer.code == "test-desk", "\(answer)")
    }
}
