import Testing
import UnderstudyCore

/// A configured fence command must succeed before anything is taken over.
@Suite struct FailoverStateMachineFenceTests {
    typealias Fixture = FailoverFixture
    let dead = FailoverFixture.deadTime
    let beta1 = GroupOwnership(epoch: 1, owner: "beta")

    /// beta with a fence, fencing since 3.
    func fencing() -> FailoverStateMachine {
        var machine = Fixture.standby(fence: true)
        _ = machine.tick(seen(3, silence: dead, failing: true))
        return machine
    }

    @Test func fencesFirst_beforeAnyTakeover() {
        var machine = Fixture.standby(fence: true)
        let actions = machine.tick(seen(3, silence: dead, failing: true))
        #expect(actions.notified == [.primaryFailed, .takeoverStarted])
        #expect(actions.operations == [.fence])
        #expect(actions.notification(.takeoverStarted)?.detail == "Fencing first.")
        #expect(machine.phase == .fencing)
        #expect(machine.ownership == Fixture.alphaAtZero)
    }

    @Test func whileFencing_ticksChangeNothing() {
        var machine = fencing()
        for step in 1...20 {
            let now = 3 + Double(step) * 0.25
            #expect(machine.tick(seen(now, silence: now, failing: true)) == [])
        }
        #expect(machine.phase == .fencing)
    }

    @Test func fenceSucceeded_takesOver() {
        var machine = fencing()
        let actions = machine.fenceFinished(succeeded: true, detail: "exit 0", at: 4)
        #expect(actions == [.takeOver(beta1)])
        #expect(machine.phase == .takingOver)
        _ = machine.takeoverFinished(stored: true, succeeded: true, detail: "", at: 5)
        #expect(machine.phase == .active)
        #expect(machine.ownership == beta1)
    }

    @Test func fenceFailed_noTakeover_alerts() {
        var machine = fencing()
        let actions = machine.fenceFinished(succeeded: false, detail: "exit status 1: no route to PDU", at: 4)
        #expect(actions.operations == [])
        let failed = actions.notification(.takeoverFailed)
        #expect(failed?.severity == .critical)
        #expect(failed?.topic == "fence")
        #expect(failed?.summary.contains("the fence command failed") == true)
        #expect(failed?.detail.hasPrefix("exit status 1: no route to PDU\n") == true)
        #expect(failed?.detail.contains("understudy failover web") == true)
        #expect(machine.phase == .fenceFailed)
        #expect(machine.ownership == Fixture.alphaAtZero)
    }

    @Test func fenceFailed_noAutomaticRetry_onLaterTicks() {
        var machine = fencing()
        _ = machine.fenceFinished(succeeded: false, detail: "", at: 4)
        for step in 1...200 {
            let now = 4 + Double(step) * 0.25
            #expect(machine.tick(seen(now, silence: now, failing: true)) == [], "at \(now)")
        }
        #expect(machine.phase == .fenceFailed)
    }

    @Test func fenceFailed_thenPeerHeard_backToStandby_andTheNextFailureFencesAgain() {
        var machine = fencing()
        _ = machine.fenceFinished(succeeded: false, detail: "", at: 4)
        #expect(machine.peerHeard(Fixture.alphaAtZero, at: 10) == [])
        #expect(machine.phase == .standby)
        #expect(machine.failureSeenAt == nil)
        #expect(machine.tick(seen(12, silence: 2, failing: true)) == [])
        let again = machine.tick(seen(13, silence: dead, failing: true))
        #expect(again.notified == [.primaryFailed, .takeoverStarted])
        #expect(again.operations == [.fence])
    }

    @Test func fenceFailed_thenNewerOwnershipHeard_recordsIt_andStaysOutOfTheWay() {
        var machine = fencing()
        _ = machine.fenceFinished(succeeded: false, detail: "", at: 4)
        let alpha5 = GroupOwnership(epoch: 5, owner: "alpha")
        #expect(machine.peerHeard(alpha5, at: 10) == [.recordOwnership(alpha5)])
        #expect(!machine.isOwner)
        #expect(machine.tick(seen(11, silence: 1, failing: true)) == [])
    }

    @Test func fenceFailed_manualFailover_fencesAgain() throws {
        var machine = fencing()
        _ = machine.fenceFinished(succeeded: false, detail: "", at: 4)
        let actions = try machine.manualFailover(at: 30, peerSilence: 27, force: false).get()
        #expect(actions.operations == [.fence])
        #expect(machine.phase == .fencing)
        #expect(machine.fenceFinished(succeeded: true, detail: "", at: 31) == [.takeOver(beta1)])
    }

    @Test func fenceCompletion_outsideFencing_isIgnored() {
        var machine = fencing()
        _ = machine.fenceFinished(succeeded: true, detail: "", at: 4)
        #expect(machine.fenceFinished(succeeded: false, detail: "late duplicate", at: 5) == [])
        #expect(machine.phase == .takingOver)
    }

    @Test func manualMode_withFence_alertsOnly_thenFencesOnRequest() throws {
        var machine = Fixture.standby(mode: .manual, fence: true)
        #expect(machine.tick(seen(3, silence: dead, failing: true)).operations == [])
        let actions = try machine.manualFailover(at: 10, peerSilence: 10, force: false).get()
        #expect(actions.operations == [.fence])
    }
}
