import Testing
import UnderstudyCore

struct StatusLineTests {
    func group(_ name: String, _ role: GroupRole, _ states: [(ShareState, Double)]) -> GroupStatus {
        GroupStatus(
            name: name, role: role, peer: "beta", peerConnected: true,
            shares: states.enumerated().map { index, state in
                var share = ShareStatus(name: "s\(index)", path: "/s\(index)", state: state.0)
                share.lagSeconds = state.1
                return share
            })
    }

    @Test func eachGroup_showsItsRole_itsWorstShare_andALagWorthSaying() {
        let line = StatusLine.of([
            group("web", .primary, [(.inSync, 0), (.inSync, 0.05)]),
            group("files", .standby, [(.inSync, 0), (.behind, 1.46), (.initialSync, 0.2)]),
            group("mail", .steppedDown, [(.error, 42.7), (.disconnected, 0)]),
        ])
        #expect(line == "web primary in-sync; files standby initial-sync, lag 1.4 s; mail stepped-down error, lag 42 s")
    }

    @Test func noGroups_andGroupsWithoutShares_sayWhatIsThere() {
        #expect(StatusLine.of([]) == "no groups on this node")
        #expect(StatusLine.of([group("web", .offsite, [])]) == "web offsite")
    }

    @Test func manyGroups_fitTheLimit_andCountThoseLeftOut() {
        let groups = (0..<40).map { group("group-number-\($0)", .standby, [(.inSync, 0)]) }
        let line = StatusLine.of(groups)
        #expect(line.count <= StatusLine.limit + 20)
        #expect(line.hasPrefix("group-number-0 standby in-sync; group-number-1 standby in-sync"))
        let shown = line.components(separatedBy: "; ").count - 1
        #expect(line.hasSuffix("; … and \(40 - shown) more"), "\(line)")
    }
}
