import Testing
import UnderstudyCore

/// A switchover hands the group to the standby step by step (services stopped, mirror drained, address released,
/// epoch stored, peer heard serving), and the standby takes it at the epoch it was given; a node that stepped down
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

    /// Found by the two-node simulation once it asked for switchovers: the epoch handed over is recorded from the
    /// holder's next heartbeat while the taker's own store fails; the taker then holds the group by that record.
    @Test func handedOverStandby_whoseStoreFails_butWhichRecordedTheEpoch_takesTheGroupAsAStartingHolder() {
        var beta = Fixture.standby()
        #expect(beta.peerHeard(beta1, at: 2).operations == [.takeOver(beta1)])
        // The holder's next heartbeat, with the epoch it handed over, arrives during the takeover: recorded.
        #expect(beta.peerHeard(beta1, at: 2.5).operations == [.recordOwnership(beta1)])
        let failed = beta.takeoverFinished(stored: false, succeeded: false, detail: "", at: 3)
        #expect(failed.notified == [.takeoverFailed])
        #expect(beta.phase == .starting && beta.isOwner)
        #expect(beta.peerHeard(beta1, at: 3.5) == [.acquire])
        #expect(beta.phase == .acquiring)
    }

    /// Found the same way: a standby whose fence failed follows the holder; hearing it hand the group over, it takes
    /// it (it would otherwise stay a standby of a group it holds, and nobody would serve).
    @Test func standbyWhoseFenceFailed_hearingTheGroupHandedToIt_takesItOver() {
        var beta = Fixture.standby(fence: true)
        _ = beta.tick(seen(5, silence: Fixture.deadTime, failing: true))
        _ = beta.fenceFinished(succeeded: false, detail: "exit 1", at: 6)
        #expect(beta.phase == .fenceFailed)
        #expect(beta.peerHeard(beta1, at: 7).operations == [.takeOver(beta1)])
        #expect(beta.phase == .takingOver)
    }

    @Test func owner_handingOver_stepsDown_andHearingTheNewHolderChangesNothing() {
        var alpha = Fixture.active()
        _ = handOverUntilStored(&alpha)
        #expect(alpha.phase == .steppedDown && alpha.ownership == beta1 && !alpha.isOwner)
        #expect(alpha.peerHeard(beta1, at: 6) == [])
        // A node that does not serve the group has nothing to hand over.
        var other = Fixture.standby()
        #expect(
            other.requestHandOver(to: "alpha", force: false, drainTimeout: 120, at: 5)
                == .failure(.notServing(.standby)))
        #expect(other.phase == .standby)
    }

    /// Drives alpha's hand-over to beta through stop, drain and release to the stored epoch, checking each step's
    /// action; returns the time it stored it.
    @discardableResult
    func handOverUntilStored(_ alpha: inout FailoverStateMachine, force: Bool = false) -> Double {
        let asked = alpha.requestHandOver(to: "beta", force: force, drainTimeout: 120, at: 3)
        #expect(
            (try? asked.get())?.notification(.takeoverStarted)?.summary
                == "switchover of group web from alpha to beta started")
        #expect((try? asked.get())?.operations == [.stopServices])
        #expect(alpha.phase == .handingOver && alpha.handOver?.step == .stoppingServices)
        #expect(alpha.servicesStopped(at: 3.25) == [.drain(timeout: 120, force: force)])
        #expect(alpha.handOver?.step == .draining && alpha.isOwner)
        #expect(alpha.drainFinished(drained: true, at: 3.5) == [.release(runStopScripts: false)])
        #expect(alpha.handOver?.step == .releasing && alpha.isOwner)
        #expect(alpha.released(at: 3.75) == [.handOver(beta1)])
        #expect(alpha.handOver?.step == .storing && alpha.isOwner)
        #expect(alpha.handOverStored(true, at: 4) == [])
        #expect(alpha.handOver?.step == .awaitingPeer)
        return 4
    }

    @Test func handOver_endsDone_onceThePeerReportsServing_withTheOutageFromTheServicesStop() {
        var alpha = Fixture.active()
        handOverUntilStored(&alpha)
        #expect(alpha.peerHeard(beta1, at: 4.1) == [])
        #expect(alpha.peerReported(.standby, at: 4.1) == [])
        #expect(alpha.peerReported(.takingOver, at: 4.2) == [])
        #expect(alpha.peerReported(.active, at: 4.5) == [.handOverEnded(.done(outage: 1.5, sinceRelease: 0.75))])
        #expect(alpha.handOver == nil && alpha.phase == .steppedDown)
        // Told once.
        #expect(alpha.peerReported(.active, at: 5) == [])
    }

    @Test func undrainedMirror_endsTheHandOver_andStartsTheServicesAgain() {
        var alpha = Fixture.active()
        _ = alpha.requestHandOver(to: "beta", force: false, drainTimeout: 120, at: 3)
        _ = alpha.servicesStopped(at: 3.2)
        #expect(
            alpha.drainFinished(drained: false, at: 123.2) == [.acquire, .handOverEnded(.notDrained(timeout: 120))])
        #expect(alpha.phase == .acquiring && alpha.handOver == nil && alpha.ownership == Fixture.alphaAtZero)
        _ = alpha.acquired(succeeded: true, detail: "", at: 123.5)
        #expect(alpha.phase == .active && alpha.isOwner)
    }

    @Test func forcedHandOver_goesOn_withAnUndrainedMirror() {
        var alpha = Fixture.active()
        _ = alpha.requestHandOver(to: "beta", force: true, drainTimeout: 5, at: 3)
        #expect(alpha.servicesStopped(at: 3.2) == [.drain(timeout: 5, force: true)])
        #expect(alpha.drainFinished(drained: false, at: 8.2) == [.release(runStopScripts: false)])
        #expect(alpha.released(at: 8.3) == [.handOver(beta1)])
    }

    @Test func epochNotStored_endsTheHandOver_andTheNodeServesAgain() {
        var alpha = Fixture.active()
        _ = alpha.requestHandOver(to: "beta", force: false, drainTimeout: 120, at: 3)
        _ = alpha.servicesStopped(at: 3.2)
        _ = alpha.drainFinished(drained: true, at: 3.5)
        _ = alpha.released(at: 3.6)
        #expect(alpha.handOverStored(false, at: 3.7) == [.acquire, .handOverEnded(.notStored)])
        #expect(alpha.phase == .acquiring && alpha.ownership == Fixture.alphaAtZero && alpha.handOver == nil)
        _ = alpha.acquired(succeeded: true, detail: "", at: 4)
        #expect(alpha.phase == .active)
    }

    @Test func peerNeverSeenServing_endsTheHandOverAfterItsWait_andTheGroupStaysHandedOver() {
        var alpha = Fixture.active()
        let stored = handOverUntilStored(&alpha)
        #expect(alpha.tick(seen(stored + HandOver.peerWait - 0.1, silence: 1, failing: false)) == [])
        let late = stored + HandOver.peerWait
        #expect(
            alpha.tick(seen(late, silence: 1, failing: false)) == [
                .handOverEnded(.peerNotSeen(beta1, waited: HandOver.peerWait))
            ])
        #expect(alpha.handOver == nil && alpha.ownership == beta1 && alpha.phase == .steppedDown)
    }

    @Test func handOver_isRefused_whileOneIsUnderWay_orWhileTheNodeIsNotServingYet() {
        var alpha = Fixture.active()
        _ = alpha.requestHandOver(to: "beta", force: false, drainTimeout: 120, at: 3)
        #expect(
            alpha.requestHandOver(to: "beta", force: true, drainTimeout: 120, at: 3.1)
                == .failure(.underWay(.stoppingServices)))
        var starting = Fixture.owner()
        #expect(
            starting.requestHandOver(to: "beta", force: false, drainTimeout: 120, at: 0.5)
                == .failure(.notServing(.starting)))
        // Stored and waiting for the peer: still under way.
        var handed = Fixture.active()
        handOverUntilStored(&handed)
        #expect(
            handed.requestHandOver(to: "beta", force: false, drainTimeout: 120, at: 4)
                == .failure(.underWay(.awaitingPeer)))
    }

    @Test func stepOutcomes_outOfTurn_areIgnored() {
        var alpha = Fixture.active()
        #expect(alpha.servicesStopped(at: 2.5) == [] && alpha.drainFinished(drained: true, at: 2.5) == [])
        #expect(alpha.handOverStored(true, at: 2.5) == [] && alpha.peerReported(.active, at: 2.5) == [])
        #expect(alpha.phase == .active && alpha.ownership == Fixture.alphaAtZero)
        _ = alpha.requestHandOver(to: "beta", force: false, drainTimeout: 120, at: 3)
        // Not drained yet: a release or a store outcome is not this step's.
        #expect(alpha.drainFinished(drained: true, at: 3.1) == [] && alpha.released(at: 3.1) == [])
        #expect(alpha.handOverStored(true, at: 3.1) == [] && alpha.ownership == Fixture.alphaAtZero)
        #expect(alpha.handOver?.step == .stoppingServices)
    }

    @Test func handingOverNode_neitherIsolatesNorGivesUpOnATick() {
        var alpha = Fixture.active()
        _ = alpha.requestHandOver(to: "beta", force: false, drainTimeout: 120, at: 3)
        _ = alpha.servicesStopped(at: 3.2)
        #expect(alpha.tick(seen(20, silence: 17, failing: true, isolation: true)) == [])
        #expect(alpha.addressLapsed(at: 20) == [])
        #expect(alpha.phase == .handingOver && alpha.handOver?.step == .draining)
    }

    @Test func newerOwnershipDuringAHandOver_endsIt_andTheNodeGivesTheGroupUp() {
        var alpha = Fixture.active()
        _ = alpha.requestHandOver(to: "beta", force: false, drainTimeout: 120, at: 3)
        _ = alpha.servicesStopped(at: 3.2)
        let beta2 = GroupOwnership(epoch: 2, owner: "beta")
        let actions = alpha.peerHeard(beta2, at: 4)
        #expect(
            actions.operations == [
                .recordOwnership(beta2), .release(runStopScripts: true), .handOverEnded(.overtaken(beta2)),
            ])
        #expect(actions.notification(.stepDown)?.summary.contains("stepped down") == true)
        #expect(alpha.phase == .releasing && alpha.handOver == nil)
        // The drain's outcome arrives late: it changes nothing.
        #expect(alpha.drainFinished(drained: true, at: 4.5) == [])
        _ = alpha.released(at: 5)
        #expect(alpha.phase == .steppedDown && alpha.ownership == beta2)
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

    @Test func everyWayAHandOverFails_orIsRefused_hasAStableCodeOfItsOwn() {
        let outcomes: [HandOver.Outcome] = [
            .notDrained(timeout: 120), .notStored, .peerNotSeen(beta1, waited: 30), .overtaken(beta1),
        ]
        let codes = outcomes.compactMap(\.errorCode)
        #expect(codes == ["not-drained", "not-stored", "peer-not-seen", "overtaken"])
        #expect(HandOver.Outcome.done(outage: 0.2, sinceRelease: 0.1).errorCode == nil)
        #expect(HandOver.Refusal.notServing(.standby).errorCode == "not-serving")
        #expect(HandOver.Refusal.underWay(.draining).errorCode == "busy")
        let refusals: [FailoverStateMachine.ManualFailoverRefusal] = [
            .alreadyOwner(beta1), .peerAlive(heardSecondsAgo: 1), .busy(.fencing), .staleData(beta1),
            .replicaIncomplete, .witnessDisagrees("gamma hears alpha"),
        ]
        #expect(Set(refusals.map(\.errorCode)).count == refusals.count)
        #expect(refusals.allSatisfy { $0.message == $0.description && !$0.message.isEmpty })
    }
}
