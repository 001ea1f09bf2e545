import Testing
import UnderstudyCore

/// The group's off-site node (gamma) took it over at the recovery site: what it says in a handshake counts for the
/// holder, never for the peer's liveness; a holder steps down; a standby never takes over by itself from it.
@Suite struct FailoverStateMachineRecoverySiteTests {
    typealias Fixture = FailoverFixture
    let gamma1 = GroupOwnership(epoch: 1, owner: "gamma")

    static func settings(node: String) -> FailoverStateMachine.Settings {
        var settings = Fixture.settings(node: node, checks: false)
        settings.peer = node == "alpha" ? "beta" : "alpha"
        return settings
    }

    @Test func startingOwner_learningTheRecoverySitesEpoch_stepsDownBeforeTakingTheAddress() {
        var machine = FailoverStateMachine(
            settings: Self.settings(node: "alpha"), ownership: Fixture.alphaAtZero, at: 0)
        let actions = machine.ownershipLearned(gamma1, at: 1)
        #expect(actions.operations == [.recordOwnership(gamma1), .release(runStopScripts: true)])
        #expect(actions.notification(.stepDown)?.summary.contains("epoch 1 (gamma)") == true)
        #expect(!machine.isOwner && machine.heldByThirdNode)
        _ = machine.released(at: 2)
        #expect(machine.tick(seen(Fixture.deadTime + 5, silence: 100, failing: true)) == [])
        #expect(machine.phase == .steppedDown)
    }

    @Test func standbyFollowingTheRecoverySite_neverTakesOverByItself_andManualNeedsForce() {
        var machine = FailoverStateMachine(settings: Self.settings(node: "beta"), ownership: Fixture.alphaAtZero, at: 0)
        #expect(machine.ownershipLearned(gamma1, at: 1).operations == [.recordOwnership(gamma1)])
        machine.rejoined(at: 2)
        // The primary is silent and its checks fail: it says nothing of gamma, which serves.
        #expect(machine.tick(seen(20, silence: 20, failing: true)) == [])
        guard case .failure(.heldElsewhere(let held)) = machine.manualFailover(at: 21, peerSilence: 21, force: false)
        else {
            Issue.record("a takeover from the recovery site needs --force")
            return
        }
        #expect(held == gamma1)
        guard case .success(let actions) = machine.manualFailover(at: 22, peerSilence: 22, force: true) else {
            Issue.record("forced")
            return
        }
        #expect(actions.operations.contains(.takeOver(GroupOwnership(epoch: 2, owner: "beta"))))
    }

    @Test func learning_anOlderOrEqualOwnership_orOneThatNamesThisNode_changesNothing() {
        var machine = FailoverStateMachine(
            settings: Self.settings(node: "beta"), ownership: GroupOwnership(epoch: 2, owner: "beta"), at: 0)
        #expect(machine.ownershipLearned(gamma1, at: 1) == [])
        #expect(machine.ownershipLearned(GroupOwnership(epoch: 5, owner: "beta"), at: 1) == [])
        #expect(machine.ownership == GroupOwnership(epoch: 2, owner: "beta"))
    }

    @Test func standbyWithAnOffsiteNode_startedWithNobodyHeard_takesNothingOver_untilItHearsEither() {
        var settings = Self.settings(node: "beta")
        settings.hasOffsite = true
        var machine = FailoverStateMachine(settings: settings, ownership: Fixture.alphaAtZero, at: 0)
        let first = machine.tick(seen(Fixture.deadTime + 1, silence: Fixture.deadTime + 1, failing: true))
        #expect(first.operations.isEmpty, "no takeover: the recovery site may hold the group")
        #expect(first.notification(.primaryFailed)?.summary.contains("nor the off-site node") == true)
        #expect(machine.tick(seen(Fixture.deadTime + 2, silence: Fixture.deadTime + 2, failing: true)) == [])
        // The off-site node says nothing newer: the primary is just dead.
        #expect(machine.ownershipLearned(Fixture.alphaAtZero, at: 6) == [])
        let actions = machine.tick(seen(7, silence: 7, failing: true))
        #expect(actions.operations.contains(.takeOver(GroupOwnership(epoch: 1, owner: "beta"))))
    }
}
