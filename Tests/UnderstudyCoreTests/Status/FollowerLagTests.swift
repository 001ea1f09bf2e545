import Foundation
import Testing
import UnderstudyCore

/// A follower's lag at rest rests on what it hears of the serving node, not on its last transfer.
@Suite struct FollowerLagTests {
    private let now = Date(timeIntervalSince1970: 1_800_000_000)

    private func group(
        role: GroupRole = .standby, connected: Bool, lag: Double = 0, lastSync: Double? = nil
    )
        -> GroupStatus
    {
        var share = ShareStatus(name: "data", path: "/srv/replica", state: connected ? .inSync : .disconnected)
        share.lagSeconds = lag
        share.lastSyncAt = lastSync.map { now.addingTimeInterval(-$0) }
        return GroupStatus(name: "files", role: role, peer: "alpha", peerConnected: connected, shares: [share])
    }

    private func link(_ name: String, heardAgo: Double?, peer: String = "alpha") -> LinkStatus {
        LinkStatus(
            peer: peer, link: name, state: heardAgo == nil ? "unknown" : "up", lastHeardAgo: heardAgo, sent: 0,
            received: 0, refused: 0, problem: nil)
    }

    private func lag(_ group: GroupStatus, links: [LinkStatus]?, startedAgo: Double = 3600) -> Double {
        FollowerLag.apply(to: [group], links: links, startedAt: now.addingTimeInterval(-startedAgo), now: now)[0]
            .shares[0].lagSeconds
    }

    @Test func connectedAndIdle_isAsOldAsTheFreshestHeartbeat() {
        let links = [link("lan", heardAgo: 0.4), link("dedicated", heardAgo: 0.1), link("x", heardAgo: 0, peer: "z")]
        #expect(lag(group(connected: true, lastSync: 600), links: links) == 0.1)
    }

    @Test func connectedWhileThePrimaryIsSilent_growsWithTheSilence() {
        #expect(lag(group(connected: true, lastSync: 600), links: [link("lan", heardAgo: 7.5)]) == 7.5)
    }

    @Test func connectedWithoutFailover_isCurrent() {
        #expect(lag(group(connected: true, lastSync: 600), links: nil) == 0)
    }

    @Test func aChangeOnItsWay_keepsItsOwnAge_whenThatIsOlder() {
        #expect(lag(group(connected: true, lag: 2.5), links: [link("lan", heardAgo: 0.2)]) == 2.5)
    }

    @Test func disconnected_growsFromTheEndOfTheConnection() {
        var status = group(connected: false, lastSync: 600)
        status.disconnectedAt = now.addingTimeInterval(-42)
        #expect(lag(status, links: [link("lan", heardAgo: 0.1)]) == 42)
    }

    @Test func neverConnectedSinceStart_isAsOldAsItsLastSync_orTheStart() {
        #expect(lag(group(connected: false, lastSync: 600), links: nil) == 600)
        #expect(lag(group(connected: false), links: nil, startedAgo: 30) == 30)
    }

    @Test func theServingNodesLag_isLeftAsItsCaptureSaysIt() {
        #expect(lag(group(role: .primary, connected: false, lag: 0.3), links: [link("lan", heardAgo: 9)]) == 0.3)
    }
}
