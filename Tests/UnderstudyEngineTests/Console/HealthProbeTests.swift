import Foundation
import Testing
import UnderstudyConsole
import UnderstudyCore

/// The probes' verdicts on a status report: 200 only on the node that serves a group, or only where its replica
/// follows within `max_lag`.
@Suite struct HealthProbeTests {
    private func report(
        node: String = "beta", role: GroupRole = .standby, connected: Bool = true, state: ShareState = .inSync,
        lag: Double = 0, failover: GroupFailoverStatus? = nil
    ) -> NodeStatusReport {
        var share = ShareStatus(name: "data", path: "/srv/replica", state: state)
        share.lagSeconds = lag
        let group = GroupStatus(
            name: "files", role: role, peer: node == "beta" ? "alpha" : "beta", peerConnected: connected,
            shares: [share])
        return NodeStatusReport(
            cluster: "shop", node: node, version: "1", startedAt: Date(), groups: [group],
            failover: failover.map { FailoverStatus(links: [], checks: [], groups: [$0]) })
    }

    private func failover(owner: String, phase: FailoverPhase) -> GroupFailoverStatus {
        GroupFailoverStatus(
            group: "files", mode: .auto, phase: phase, phaseAgo: 1, epoch: 4, owner: owner, peerPhase: nil,
            serviceAddress: nil)
    }

    @Test func serving_isHealthyOnlyOnTheOwnerWhileItHoldsTheAddress() {
        let owner = report(node: "alpha", role: .primary, failover: failover(owner: "alpha", phase: .active))
        #expect(HealthProbe.serving("files", in: owner).healthy)
        let acquiring = report(node: "alpha", role: .primary, failover: failover(owner: "alpha", phase: .acquiring))
        #expect(!HealthProbe.serving("files", in: acquiring).healthy)
        let other = report(node: "beta", failover: failover(owner: "alpha", phase: .standby))
        let verdict = HealthProbe.serving("files", in: other)
        #expect(!verdict.healthy)
        #expect(verdict.reason == "alpha serves group files (epoch 4)")
    }

    @Test func serving_withoutFailover_followsTheRole() {
        #expect(HealthProbe.serving("files", in: report(node: "alpha", role: .primary)).healthy)
        #expect(!HealthProbe.serving("files", in: report(role: .steppedDown)).healthy)
    }

    @Test func anUnknownGroup_isNeverHealthy() {
        let verdict = HealthProbe.serving("mail", in: report(role: .primary))
        #expect(!verdict.healthy)
        #expect(verdict.reason == "node beta has no group 'mail'")
        #expect(!HealthProbe.standby("mail", maxLag: ConfigDuration(seconds: 5), in: report()).healthy)
    }

    @Test func standby_isHealthyWhileConnectedAndWithinMaxLag() {
        let five = ConfigDuration(seconds: 5)
        #expect(HealthProbe.standby("files", maxLag: five, in: report(lag: 4.9)).healthy)
        let behind = HealthProbe.standby("files", maxLag: five, in: report(lag: 5.2))
        #expect(!behind.healthy)
        #expect(behind.reason == "share files/data is 5.2s behind, more than max_lag 5s")
    }

    @Test func standby_isUnhealthyDisconnected_beforeItsFirstSync_orOnTheServingNode() {
        let five = ConfigDuration(seconds: 5)
        #expect(!HealthProbe.standby("files", maxLag: five, in: report(connected: false)).healthy)
        #expect(!HealthProbe.standby("files", maxLag: five, in: report(state: .initialSync)).healthy)
        #expect(!HealthProbe.standby("files", maxLag: five, in: report(state: .error)).healthy)
        #expect(!HealthProbe.standby("files", maxLag: five, in: report(node: "alpha", role: .primary)).healthy)
    }

    @Test func maxLag_readsDurations_andRefusesNonsense() throws {
        #expect(try HealthProbe.maxLag(nil).get() == HealthProbe.defaultMaxLag)
        #expect(try HealthProbe.maxLag("500ms").get().seconds == 0.5)
        #expect(try HealthProbe.maxLag("3").get().seconds == 3)
        guard case .failure(let error) = HealthProbe.maxLag("soon") else {
            Issue.record("'soon' was taken as a duration")
            return
        }
        #expect("\(error)".contains("invalid duration 'soon'"))
    }
}
