import Testing
import UnderstudyCore

/// The owner by epoch, just started: it may have missed a takeover while it was down, so it takes the
/// address only once the peer confirms its ownership, or after the dead time with nothing heard.
@Suite struct FailoverStateMachineStartTests {
    typealias Fixture = FailoverFixture
    let dead = FailoverFixture.deadTime

    @Test func waits_beforeTheDeadTime_whatever_itObserves() {
        var machine = Fixture.owner(at: 10)
        for step in 0..<12 {
            let now = 10 + Double(step) * 0.25  // up to 12.75
            #expect(machine.tick(seen(now, silence: now - 10, failing: true, isolation: false)) == [])
        }
        #expect(machine.phase == .starting)
    }

    @Test func acquires_whenThePeerConfirmsTheSameOwnership() {
        var machine = Fixture.owner()
        #expect(machine.peerHeard(Fixture.alphaAtZero, at: 0.4) == [.acquire])
        #expect(machine.phase == .acquiring)
        #expect(machine.phaseSince == 0.4)
        #expect(machine.acquired(succeeded: true, detail: "", at: 0.6) == [])
        #expect(machine.phase == .active)
        #expect(machine.ownership == Fixture.alphaAtZero)
    }

    @Test func acquires_onceTheDeadTimePasses_withNothingHeard() {
        var machine = Fixture.owner(at: 10)
        #expect(machine.tick(seen(12.999, silence: 2.999, failing: false)) == [])
        #expect(machine.tick(seen(13, silence: dead, failing: false)) == [.acquire])
        #expect(machine.phase == .acquiring)
        #expect(machine.tick(seen(13.5, silence: 3.5, failing: false)) == [])
    }

    @Test func acquireFailed_isActive_andAlerts() {
        var machine = Fixture.owner()
        _ = machine.peerHeard(Fixture.alphaAtZero, at: 1)
        let actions = machine.acquired(succeeded: false, detail: "interface lan0 does not exist", at: 2)
        #expect(actions.operations == [])
        let failed = actions.notification(.takeoverFailed)
        #expect(failed?.topic == "acquire")
        #expect(failed?.detail == "interface lan0 does not exist")
        #expect(machine.phase == .active)
    }

    @Test func acquiring_ignoresFurtherHeartbeatsAndTicks() {
        var machine = Fixture.owner()
        _ = machine.peerHeard(Fixture.alphaAtZero, at: 1)
        #expect(machine.peerHeard(Fixture.alphaAtZero, at: 1.2) == [])
        #expect(machine.tick(seen(5, silence: 4, failing: true, isolation: true)) == [])
        #expect(machine.phase == .acquiring)
    }

    @Test func peerWithALowerOwnership_doesNotConfirm_theDeadTimeDecides() {
        // alpha stored epoch 2 (it took the group back); beta still remembers epoch 1 of its own.
        let alpha2 = GroupOwnership(epoch: 2, owner: "alpha")
        var machine = Fixture.owner(ownership: alpha2, at: 0)
        #expect(machine.peerHeard(GroupOwnership(epoch: 1, owner: "beta"), at: 1) == [])
        #expect(machine.phase == .starting)
        #expect(machine.tick(seen(3, silence: 0, failing: false)) == [.acquire])
        #expect(machine.ownership == alpha2)
    }

    @Test func peerWithAHigherEpoch_duringStart_noAcquire_stepsDown_andRecordsIt() {
        var machine = Fixture.owner()
        let beta1 = GroupOwnership(epoch: 1, owner: "beta")
        let actions = machine.peerHeard(beta1, at: 1)
        #expect(actions.first == .recordOwnership(beta1))
        #expect(!actions.takeTheAddress)
        #expect(actions.notified == [.stepDown])
        // A crash of the daemon (not of the machine) may have left the address and the services of its last
        // life behind: it gives them up.
        #expect(actions.operations == [.recordOwnership(beta1), .release(runStopScripts: true)])
        #expect(machine.ownership == beta1)
        #expect(!machine.isOwner)
        #expect(machine.released(at: 2) == [])
        #expect(machine.phase == .steppedDown)
        // Nothing it sees afterwards makes it take the address.
        #expect(machine.tick(seen(10, silence: 10, failing: true)) == [])
        #expect(machine.peerHeard(beta1, at: 11) == [])
        #expect(machine.phase == .steppedDown)
    }

    @Test func peerWithTheSameEpochButAWinningOwner_duringStart_stepsDown() {
        // Two takeovers at epoch 3 that could not see each other: "alpha" sorts first and wins.
        var machine = FailoverStateMachine(
            settings: Fixture.settings(node: "beta"), ownership: GroupOwnership(epoch: 3, owner: "beta"), at: 0)
        let alpha3 = GroupOwnership(epoch: 3, owner: "alpha")
        let actions = machine.peerHeard(alpha3, at: 1)
        #expect(actions.first == .recordOwnership(alpha3))
        #expect(!actions.takeTheAddress)
        #expect(machine.ownership == alpha3)
        #expect(machine.tick(seen(5, silence: 4, failing: true)).takeTheAddress == false)
    }

    @Test func peerWithTheSameEpochButALosingOwner_duringStart_doesNotConfirm() {
        var machine = Fixture.owner(ownership: GroupOwnership(epoch: 3, owner: "alpha"))
        #expect(machine.peerHeard(GroupOwnership(epoch: 3, owner: "beta"), at: 1) == [])
        #expect(machine.phase == .starting)
    }

    @Test func higherEpochWhileAcquiring_releasesOnceAcquired() {
        var machine = Fixture.owner()
        _ = machine.peerHeard(Fixture.alphaAtZero, at: 1)
        let beta1 = GroupOwnership(epoch: 1, owner: "beta")
        let heard = machine.peerHeard(beta1, at: 1.5)
        #expect(heard == [.recordOwnership(beta1)])
        #expect(machine.phase == .acquiring)
        let done = machine.acquired(succeeded: true, detail: "", at: 2)
        #expect(done.notified == [.stepDown])
        #expect(done.operations == [.release(runStopScripts: true)])
        #expect(machine.phase == .releasing)
        #expect(machine.released(at: 3) == [])
        #expect(machine.phase == .steppedDown)
        #expect(machine.ownership == beta1)
    }

    @Test func higherEpochWhileAcquiring_releasesEvenWhenTheAcquireFailed() {
        var machine = Fixture.owner()
        _ = machine.tick(seen(3, silence: 3, failing: false))
        _ = machine.peerHeard(GroupOwnership(epoch: 1, owner: "beta"), at: 3.1)
        let done = machine.acquired(succeeded: false, detail: "", at: 3.2)
        #expect(done.operations == [.release(runStopScripts: true)])
    }
}
