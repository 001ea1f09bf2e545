import Testing
import UnderstudyCore

/// A switchover hands the group to the standby, which takes it at the epoch it was given; a node that stepped down
/// becomes a standby again once it has rejoined.
@Suite struct FailoverStateMachineHandOverTests {
    typealias Fixture = FailoverFixture
    let beta1 = GroupOwnership(epoch: 1, owner: "beta")

    @Test func standby_hearingItselfNamedHolder_takesTheGroupOverAtThatEpoch() {
        var beta = Fixture.standby()
        _ = beta.peerHeard(Fixture.alphaAtZero, at: 1)
        let actions = beta.peerHeard(beta1, at: 2)
        #expect(actions.operations == [.takeOver(beta1)])
        #expect(actions.notification(.takeoverStarted)?.summary.contains("alpha handed it over") == true)
        #expect(beta.phase == .takingOver)
        _ = beta.takeoverFinished(stored: true, succeeded: true, detail: "", at: 2.2)
        #expect(beta.phase == .active && beta.ownership == beta1 && beta.isOwner)
    }

    @Test func owner_handingOver_stepsDown_andHearingTheNewHolderChangesNothing() {
        var alpha = Fixture.active()
        alpha.handedOver(beta1, at: 5)
        #expect(alpha.phase == .steppedDown && alpha.ownership == beta1 && !alpha.isOwner)
        #expect(alpha.peerHeard(beta1, at: 6) == [])
        // A stale hand-over (not newer) is ignored.
        var other = Fixture.active(ownership: GroupOwnership(epoch: 3, owner: "alpha"))
        other.handedOver(beta1, at: 5)
        #expect(other.phase == .active)
    }

    @Test func steppedDownNode_isAStandbyAgain_onlyOnceRejoined_andThenWatchesTheHolder() {
        var alpha = Fixture.active()
        _ = alpha.peerHeard(beta1, at: 5)
        _ = alpha.released(at: 6)
        #expect(alpha.phase == .steppedDown)
        // Stepped down: a silent holder is not taken over.
        #expect(alpha.tick(seen(20, silence: 10, failing: true)).isEmpty)
        alpha.rejoined(at: 21)
        #expect(alpha.phase == .standby)
        let actions = alpha.tick(seen(30, silence: Fixture.deadTime, failing: true))
        #expect(actions.operations == [.takeOver(GroupOwnership(epoch: 2, owner: "alpha"))])
    }

    @Test func rejoined_changesNothing_forTheHolder_orARunningStandby() {
        var alpha = Fixture.active()
        alpha.rejoined(at: 3)
        #expect(alpha.phase == .active)
        var beta = Fixture.standby()
        beta.rejoined(at: 3)
        #expect(beta.phase == .standby)
    }
}
