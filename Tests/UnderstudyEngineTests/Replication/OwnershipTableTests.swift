import Testing
import UnderstudyCore
@testable import UnderstudyReplication

/// Who holds each group, as one node knows it: its role in the status follows, and only a new holder is news.
struct OwnershipTableTests {
    static func table(of node: String) throws -> (OwnershipTable, StatusRegistry) {
        let configuration = try TestConfiguration.pair(root: "/nonexistent")
        let status = StatusRegistry([
            GroupStatus(name: "files", role: .standby, peer: "x", peerConnected: false, shares: [])
        ])
        return (OwnershipTable(node: node, status: status, configured: { configuration.groups[$0] }), status)
    }

    static func role(_ status: StatusRegistry) -> GroupRole? {
        status.snapshot(now: 0).first?.role
    }

    @Test func theStandbyTakingTheGroup_becomesItsPrimary_andThePrimaryThatLostIt_isSteppedDown() throws {
        let (beta, betaStatus) = try Self.table(of: "beta")
        beta.set(GroupOwnership(epoch: 0, owner: "alpha"), group: "files")
        #expect(Self.role(betaStatus) == .standby && !beta.owns(group: "files"))
        beta.set(GroupOwnership(epoch: 1, owner: "beta"), group: "files")
        #expect(Self.role(betaStatus) == .primary && beta.owns(group: "files"))

        let (alpha, alphaStatus) = try Self.table(of: "alpha")
        alpha.set(GroupOwnership(epoch: 0, owner: "alpha"), group: "files")
        #expect(Self.role(alphaStatus) == .primary)
        alpha.set(GroupOwnership(epoch: 1, owner: "beta"), group: "files")
        #expect(Self.role(alphaStatus) == .steppedDown && alpha.ownership(group: "files")?.epoch == 1)
    }

    @Test func onlyANewHolder_isPublished() async throws {
        let (beta, _) = try Self.table(of: "beta")
        let news = beta.changes.subscribe()
        beta.set(GroupOwnership(epoch: 0, owner: "alpha"), group: "files")  // the first record: no change
        beta.set(GroupOwnership(epoch: 1, owner: "alpha"), group: "files")  // same holder, newer epoch
        beta.set(GroupOwnership(epoch: 2, owner: "beta"), group: "files")
        var iterator = news.makeAsyncIterator()
        let first = await iterator.next()
        #expect(first == HolderChange(group: "files", ownership: GroupOwnership(epoch: 2, owner: "beta")))
    }
}
