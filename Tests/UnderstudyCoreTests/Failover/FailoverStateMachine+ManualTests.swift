import Testing
import UnderstudyCore

/// `failover = "manual"` and `understudy failover GROUP [--force]`.
@Suite struct FailoverStateMachineManualTests {
    typealias Fixture = FailoverFixture
    let dead = FailoverFixture.deadTime
    let beta1 = GroupOwnership(epoch: 1, owner: "beta")

    @Test func manualMode_sameDetection_onlyAlerts() {
        var machine = Fixture.standby(mode: .manual)
        #expect(machine.tick(seen(2.9, silence: 2.9, failing: true)) == [])
        let actions = machine.tick(seen(3, silence: dead, failing: true))
        #expect(actions.operations == [])
        #expect(actions.notified == [.primaryFailed])
        let failed = actions.notification(.primaryFailed)
        #expect(failed?.severity == .critical)
        #expect(failed?.detail.contains("understudy failover web") == true)
        #expect(failed?.detail.contains("manual") == true)
        #expect(machine.phase == .standby)
        #expect(machine.failureSeenAt == 3)
    }

    @Test func manualMode_alertsOncePerEpisode_andAgainAfterThePeerCameBack() {
        var machine = Fixture.standby(mode: .manual)
        #expect(machine.tick(seen(3, silence: dead, failing: true)).notified == [.primaryFailed])
        for step in 1...40 {
            let now = 3 + Double(step) * 0.25
            #expect(machine.tick(seen(now, silence: now, failing: true)) == [])
        }
        _ = machine.peerHeard(Fixture.alphaAtZero, at: 20)
        #expect(machine.tick(seen(21, silence: 1, failing: true)) == [])
        let again = machine.tick(seen(23, silence: dead, failing: true))
        #expect(again.notified == [.primaryFailed])
        #expect(again.operations == [])
    }

    @Test func manualMode_checksPassing_onlyTheLinkWarning() {
        var machine = Fixture.standby(mode: .manual)
        #expect(machine.tick(seen(3, silence: dead, failing: false)).notified == [.linkDown])
    }

    @Test func manualFailover_takesOver_afterTheAlert() throws {
        var machine = Fixture.standby(mode: .manual)
        _ = machine.tick(seen(3, silence: dead, failing: true))
        let actions = try machine.manualFailover(at: 60, peerSilence: 60, force: false).get()
        #expect(actions.notified == [.takeoverStarted])
        #expect(actions.operations == [.takeOver(beta1)])
        #expect(machine.phase == .takingOver)
        // The time of the takeover counts from when the failure was first seen.
        #expect(machine.failureSeenAt == 3)
        let finished = machine.takeoverFinished(stored: true, succeeded: true, detail: "", at: 61)
        #expect(finished.notification(.takeoverFinished)?.summary.contains("in 58.0 s") == true)
        #expect(machine.ownership == beta1)
        #expect(machine.phase == .active)
    }

    @Test func manualFailover_worksInAutoMode_too() throws {
        var machine = Fixture.standby()
        let actions = try machine.manualFailover(at: 5, peerSilence: dead, force: false).get()
        #expect(actions.operations == [.takeOver(beta1)])
        #expect(machine.failureSeenAt == 5)
    }

    @Test func manualFailover_refused_whilePeerHeardRecently() {
        var machine = Fixture.standby(mode: .manual)
        let result = machine.manualFailover(at: 5, peerSilence: 0.43, force: false)
        #expect(result == .failure(.peerAlive(heardSecondsAgo: 0.43)))
        #expect(machine.phase == .standby)
        if case .failure(let refusal) = result {
            #expect(refusal.description.contains("heard 0.4 s ago"))
            #expect(refusal.description.contains("--force"))
        }
    }

    @Test func manualFailover_refused_justBelowTheDeadTime_allowedAtIt() {
        var machine = Fixture.standby(mode: .manual)
        #expect(
            machine.manualFailover(at: 5, peerSilence: dead - 0.01, force: false)
                == .failure(.peerAlive(heardSecondsAgo: dead - 0.01)))
        #expect(
            machine.manualFailover(at: 5, peerSilence: dead, force: false).map(\.operations)
                == .success([.takeOver(beta1)]))
    }

    @Test func manualFailover_forced_whilePeerHeard() {
        var machine = Fixture.standby(mode: .manual)
        _ = machine.peerHeard(Fixture.alphaAtZero, at: 4.9)
        let result = machine.manualFailover(at: 5, peerSilence: 0.1, force: true)
        #expect(result.map(\.operations) == .success([.takeOver(beta1)]))
        #expect(machine.phase == .takingOver)
    }

    @Test func manualFailover_refused_whenAlreadyOwner() {
        var starting = Fixture.owner()
        #expect(
            starting.manualFailover(at: 1, peerSilence: 100, force: true)
                == .failure(.alreadyOwner(Fixture.alphaAtZero)))
        var active = Fixture.active()
        #expect(
            active.manualFailover(at: 5, peerSilence: 100, force: true) == .failure(.alreadyOwner(Fixture.alphaAtZero)))
        var tookOver = Fixture.takenOver()
        let refusal = tookOver.manualFailover(at: 20, peerSilence: 100, force: false)
        #expect(refusal == .failure(.alreadyOwner(beta1)))
        if case .failure(let reason) = refusal {
            #expect(reason.description == "this node holds the group already (epoch 1 (beta))")
        }
    }

    @Test func manualFailover_refused_whileTakingOver() {
        var machine = Fixture.standby()
        _ = machine.tick(seen(3, silence: dead, failing: true))
        let refusal = machine.manualFailover(at: 4, peerSilence: 4, force: true)
        #expect(refusal == .failure(.busy(.takingOver)))
        if case .failure(let reason) = refusal {
            #expect(reason.description == "the group is taking-over; wait until that ends")
        }
    }

    @Test func manualFailover_refused_whileFencing() {
        var machine = Fixture.standby(fence: true)
        _ = machine.tick(seen(3, silence: dead, failing: true))
        #expect(machine.manualFailover(at: 4, peerSilence: 4, force: true) == .failure(.busy(.fencing)))
        #expect(machine.phase == .fencing)
    }

    @Test func manualFailover_refused_whileReleasing() {
        var machine = Fixture.takenOver()
        _ = machine.peerHeard(GroupOwnership(epoch: 2, owner: "alpha"), at: 20)
        #expect(machine.phase == .releasing)
        #expect(machine.manualFailover(at: 21, peerSilence: 100, force: true) == .failure(.busy(.releasing)))
    }

    @Test func manualFailover_afterSteppingDown_takesOverFromTheNewerOwnership() throws {
        var machine = Fixture.takenOver()
        let alpha2 = GroupOwnership(epoch: 2, owner: "alpha")
        _ = machine.peerHeard(alpha2, at: 20)
        _ = machine.released(at: 21)
        #expect(machine.phase == .steppedDown)
        let actions = try machine.manualFailover(at: 40, peerSilence: 10, force: false).get()
        #expect(actions.operations == [.takeOver(GroupOwnership(epoch: 3, owner: "beta"))])
    }

    @Test func manualFailover_refused_doesNotChangeTheMachine() {
        var machine = Fixture.standby(mode: .manual)
        _ = machine.manualFailover(at: 1, peerSilence: 0.5, force: false)
        #expect(machine.phase == .standby)
        #expect(machine.failureSeenAt == nil)
        // A later real failure is still detected and alerted.
        #expect(machine.tick(seen(4, silence: dead, failing: true)).notified == [.primaryFailed])
    }
}
