import Testing
import UnderstudyCore

@Suite struct GroupOwnershipTests {
    @Test func higherEpoch_wins_whateverTheNames() {
        let alpha1 = GroupOwnership(epoch: 1, owner: "alpha")
        let zulu2 = GroupOwnership(epoch: 2, owner: "zulu")
        #expect(zulu2.supersedes(alpha1))
        #expect(!alpha1.supersedes(zulu2))
    }

    @Test func sameEpoch_differentOwners_theNameThatSortsFirstWins_seenFromEitherSide() {
        let alpha = GroupOwnership(epoch: 3, owner: "alpha")
        let beta = GroupOwnership(epoch: 3, owner: "beta")
        #expect(alpha.supersedes(beta))
        #expect(!beta.supersedes(alpha))
    }

    @Test func equal_neitherSupersedes() {
        let one = GroupOwnership(epoch: 7, owner: "beta")
        #expect(!one.supersedes(one))
        #expect(!one.supersedes(GroupOwnership(epoch: 7, owner: "beta")))
    }

    @Test func exactlyOneSupersedes_forAnyTwoDistinctOwnerships() {
        let owners = ["alpha", "beta", "Beta", "b", "node-10", "node-9", ""]
        let all =
            (UInt64(0)...3).flatMap { epoch in owners.map { GroupOwnership(epoch: epoch, owner: $0) } } + [
                GroupOwnership(epoch: .max, owner: "alpha"), GroupOwnership(epoch: .max, owner: "beta"),
            ]
        for a in all {
            for b in all {
                if a == b {
                    #expect(!a.supersedes(b) && !b.supersedes(a), "\(a) vs \(b)")
                } else {
                    #expect(a.supersedes(b) != b.supersedes(a), "\(a) vs \(b)")
                }
                // A strict order: transitive.
                for c in all where a.supersedes(b) && b.supersedes(c) {
                    #expect(a.supersedes(c), "\(a) > \(b) > \(c)")
                }
            }
        }
    }

    @Test func initial_isEpochZero_ofTheConfiguredPrimary() throws {
        let group = GroupConfiguration(
            name: "web", primary: "alpha", standby: "beta",
            shares: [try ShareConfiguration(name: "s", source: "/s", replica: "/r", include: [], exclude: [])])
        #expect(GroupOwnership.initial(of: group) == GroupOwnership(epoch: 0, owner: "alpha"))
    }

    @Test func takenOver_raisesTheEpoch_andNamesTheNewOwner_whichThenWins() {
        let old = GroupOwnership(epoch: 4, owner: "alpha")
        let new = old.takenOver(by: "beta")
        #expect(new == GroupOwnership(epoch: 5, owner: "beta"))
        #expect(new.supersedes(old))
        #expect(old.takenOver(by: "alpha") == GroupOwnership(epoch: 5, owner: "alpha"))
    }

    @Test func description_saysEpochAndOwner() {
        #expect(GroupOwnership(epoch: 3, owner: "beta").description == "epoch 3 (beta)")
    }
}
