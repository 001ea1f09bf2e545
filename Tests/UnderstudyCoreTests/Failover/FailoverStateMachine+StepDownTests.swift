import Testing
import UnderstudyCore

/// A node that meets a higher ownership steps down at once and never takes the group back by itself; an
/// isolated primary gives up its address and takes it back only when the peer still names it owner.
@Suite struct FailoverStateMachineStepDownTests {
    typealias Fixture = FailoverFixture
    let dead = FailoverFixture.deadTime
    let isolation = FailoverFixture.isolationTime
    let beta1 = GroupOwnership(epoch: 1, owner: "beta")
    let alpha2 = GroupOwnership(epoch: 2, owner: "alpha")

    // MARK: - Step-down

    @Test func active_hearingAHigherOwnership_recordsIt_releasesWithStopScripts_andTells() {
        var machine = Fixture.active()
        let actions = machine.peerHeard(beta1, at: 5)
        #expect(actions.operations == [.recordOwnership(beta1), .release(runStopScripts: true)])
        let told = actions.notification(.stepDown)
        #expect(told?.severity == .critical)
        #expect(told?.topic == "epoch")
        #expect(told?.summary.contains("alpha stepped down from group web") == true)
        #expect(told?.summary.contains("epoch 1 (beta)") == true)
        // Stored before anything else.
        #expect(actions.first == .recordOwnership(beta1))
        #expect(machine.phase == .releasing)
        #expect(machine.ownership == beta1)
        #expect(!machine.isOwner)
        #expect(machine.released(at: 6) == [])
        #expect(machine.phase == .steppedDown)
        #expect(machine.phaseSince == 6)
    }

    @Test func active_hearingTheSameOrALowerOwnership_keepsServing() {
        var machine = Fixture.active(ownership: alpha2)
        #expect(machine.peerHeard(alpha2, at: 5) == [])
        #expect(machine.peerHeard(beta1, at: 6) == [])
        #expect(machine.peerHeard(GroupOwnership(epoch: 2, owner: "beta"), at: 7) == [])
        #expect(machine.phase == .active)
        #expect(machine.ownership == alpha2)
    }

    @Test func active_hearingTheSameEpochWithAWinningOwner_stepsDown() {
        var machine = Fixture.takenOver()  // beta, epoch 1
        let alpha1 = GroupOwnership(epoch: 1, owner: "alpha")
        let actions = machine.peerHeard(alpha1, at: 20)
        #expect(actions.operations == [.recordOwnership(alpha1), .release(runStopScripts: true)])
        #expect(machine.ownership == alpha1)
    }

    @Test func releasing_ignoresTicks_andFurtherHigherOwnerships_exceptRecordingThem() {
        var machine = Fixture.active()
        _ = machine.peerHeard(beta1, at: 5)
        #expect(machine.tick(seen(6, silence: 10, failing: true, isolation: true)) == [])
        let beta4 = GroupOwnership(epoch: 4, owner: "beta")
        #expect(machine.peerHeard(beta4, at: 6.5) == [.recordOwnership(beta4)])
        #expect(machine.phase == .releasing)
        _ = machine.released(at: 7)
        #expect(machine.phase == .steppedDown)
        #expect(machine.ownership == beta4)
    }

    @Test func steppedDown_watchesNothing_evenWhenTheNewPrimaryFails() {
        var machine = Fixture.active()
        _ = machine.peerHeard(beta1, at: 5)
        _ = machine.released(at: 6)
        for step in 1...100 {
            let now = 6 + Double(step) * 0.25
            #expect(machine.tick(seen(now, silence: now, failing: true, isolation: step % 2 == 0)) == [])
        }
        #expect(machine.phase == .steppedDown)
    }

    /// Random sequences of what a stepped-down node can meet: ticks of any kind, heartbeats with any ownership,
    /// stray completions. None makes it take the address again by itself.
    @Test func steppedDown_neverTakesTheAddressBack_onAnySequenceOfEvents() {
        let owners = ["alpha", "beta", "gamma"]
        for seed in UInt64(0)..<300 {
            var random = SeededGenerator(seed: seed)
            var machine = Fixture.active()
            _ = machine.peerHeard(beta1, at: 5)
            if random.chance(0.5) { _ = machine.released(at: 5.5) }
            var now = 6.0
            for step in 0..<100 {
                now += Double.random(in: 0...2, using: &random)
                let produced: [FailoverAction]
                switch Int.random(in: 0..<7, using: &random) {
                case 0, 1:
                    produced = machine.tick(
                        seen(
                            now, silence: Double.random(in: 0...20, using: &random),
                            failing: random.chance(0.5), isolation: [nil, true, false].randomElement(using: &random)!))
                case 2, 3:
                    let ownership = GroupOwnership(
                        epoch: UInt64.random(in: 0...6, using: &random), owner: owners.randomElement(using: &random)!)
                    produced = machine.peerHeard(ownership, at: now)
                case 4:
                    produced = machine.acquired(succeeded: random.chance(0.5), detail: "", at: now)
                case 5:
                    produced = machine.takeoverFinished(
                        stored: random.chance(0.5), succeeded: random.chance(0.5), detail: "", at: now)
                default:
                    produced =
                        machine.released(at: now)
                        + machine.fenceFinished(succeeded: random.chance(0.5), detail: "", at: now)
                }
                #expect(!produced.takeTheAddress, "seed \(seed), step \(step): \(produced)")
                #expect(!produced.contains(.fence), "seed \(seed), step \(step): \(produced)")
                #expect(machine.phase == .steppedDown || machine.phase == .releasing, "seed \(seed), step \(step)")
            }
        }
    }

    // MARK: - A higher ownership while the address is being taken

    @Test func higherOwnershipWhileTakingOver_releasesOnceTheTakeoverEnds() {
        var machine = Fixture.standby()
        _ = machine.tick(seen(3, silence: dead, failing: true))  // takes epoch 1
        let alpha5 = GroupOwnership(epoch: 5, owner: "alpha")
        #expect(machine.peerHeard(alpha5, at: 3.5) == [.recordOwnership(alpha5)])
        #expect(machine.phase == .takingOver)
        let done = machine.takeoverFinished(stored: true, succeeded: true, detail: "", at: 4)
        #expect(done.contains(.release(runStopScripts: true)))
        #expect(done.notified.contains(.stepDown))
        #expect(!done.takeTheAddress)
        #expect(machine.phase == .releasing)
        // The newer ownership stands; the epoch this node stored (1) is not bumped past it.
        #expect(machine.ownership == alpha5)
        #expect(!machine.isOwner)
        _ = machine.released(at: 5)
        #expect(machine.phase == .steppedDown)
    }

    @Test func ownershipHeardWhileTakingOver_thatTheTakeoverBeats_isOverruled() {
        // beta takes epoch 1 from gamma's epoch 0; "gamma" at epoch 1 loses the tie to "beta".
        var machine = Fixture.standby(ownership: GroupOwnership(epoch: 0, owner: "gamma"))
        _ = machine.tick(seen(3, silence: dead, failing: true))
        let gamma1 = GroupOwnership(epoch: 1, owner: "gamma")
        _ = machine.peerHeard(gamma1, at: 3.5)
        let done = machine.takeoverFinished(stored: true, succeeded: true, detail: "", at: 4)
        #expect(!done.includeARelease)
        #expect(machine.phase == .active)
        #expect(machine.ownership == beta1)
    }

    @Test func takeoverStoresWhatItAnnounced_theOwnershipAfterwardsIsTheActionsOwnership() {
        var machine = Fixture.standby()
        let started = machine.tick(seen(3, silence: dead, failing: true))
        guard case .takeOver(let announced)? = started.operations.first else {
            Issue.record("no takeOver in \(started)")
            return
        }
        _ = machine.takeoverFinished(stored: true, succeeded: true, detail: "", at: 4)
        #expect(machine.ownership == announced)
    }

    @Test func higherOwnershipWhileFencing_theTakeoverBuildsOnIt() {
        var machine = Fixture.standby(fence: true)
        _ = machine.tick(seen(3, silence: dead, failing: true))
        let alpha5 = GroupOwnership(epoch: 5, owner: "alpha")
        _ = machine.peerHeard(alpha5, at: 3.5)
        #expect(
            machine.fenceFinished(succeeded: true, detail: "", at: 4) == [
                .takeOver(GroupOwnership(epoch: 6, owner: "beta"))
            ])
        _ = machine.takeoverFinished(stored: true, succeeded: true, detail: "", at: 5)
        #expect(machine.ownership == GroupOwnership(epoch: 6, owner: "beta"))
        #expect(machine.phase == .active)
    }

    // MARK: - Isolation

    @Test func isolated_active_releases_whenItsIsolationCheckFails_andSilenceReachesTheIsolationTime() {
        var machine = Fixture.active()
        #expect(machine.tick(seen(10, silence: isolation - 0.01, failing: false, isolation: true)) == [])
        let actions = machine.tick(seen(10.01, silence: isolation, failing: false, isolation: true))
        #expect(actions.operations == [.release(runStopScripts: true)])
        let told = actions.notification(.stepDown)
        #expect(told?.topic == "isolated")
        #expect(told?.summary.contains("fails its isolation check") == true)
        #expect(machine.phase == .releasing)
        #expect(machine.ownership == Fixture.alphaAtZero)
        #expect(machine.isOwner)
        #expect(machine.released(at: 11) == [])
        #expect(machine.phase == .isolated)
        // Isolated: nothing by itself.
        for step in 1...40 {
            let now = 11 + Double(step) * 0.25
            #expect(machine.tick(seen(now, silence: now, failing: true, isolation: step % 3 == 0)) == [])
        }
        #expect(machine.phase == .isolated)
    }

    @Test func notIsolated_whenTheIsolationCheckPasses() {
        var machine = Fixture.active()
        for step in 0..<40 {
            let now = 3 + Double(step) * 0.25
            #expect(machine.tick(seen(now, silence: now, failing: true, isolation: false)) == [])
        }
        #expect(machine.phase == .active)
    }

    @Test func notIsolated_withoutAnIsolationCheck() {
        var machine = Fixture.active()
        for step in 0..<40 {
            let now = 3 + Double(step) * 0.25
            #expect(machine.tick(seen(now, silence: now, failing: true, isolation: nil)) == [])
        }
        #expect(machine.phase == .active)
    }

    @Test func notIsolated_whileThePeerIsHeard_evenWithTheIsolationCheckFailing() {
        var machine = Fixture.active()
        #expect(machine.tick(seen(5, silence: 0.2, failing: true, isolation: true)) == [])
        #expect(machine.phase == .active)
    }

    @Test func isolated_peerHeardWithTheSameOwnership_acquiresAgain() {
        var machine = isolatedAlpha()
        #expect(machine.peerHeard(Fixture.alphaAtZero, at: 20) == [.acquire])
        #expect(machine.phase == .acquiring)
        #expect(machine.acquired(succeeded: true, detail: "", at: 21) == [])
        #expect(machine.phase == .active)
        #expect(machine.ownership == Fixture.alphaAtZero)
    }

    @Test func isolated_peerHeardWithAHigherOwnership_steppedDown() {
        var machine = isolatedAlpha()
        let actions = machine.peerHeard(beta1, at: 20)
        #expect(actions.operations == [.recordOwnership(beta1)])
        #expect(!actions.takeTheAddress)
        #expect(!actions.includeARelease)  // released already
        #expect(
            actions.notification(.stepDown)?.summary.contains("alpha stepped down from group web") == true,
            "told, as any step-down")
        #expect(machine.phase == .steppedDown)
        #expect(machine.ownership == beta1)
    }

    @Test func isolated_peerHeardWithALowerOwnership_staysIsolated() {
        var machine = isolatedAlpha(ownership: alpha2)
        #expect(machine.peerHeard(beta1, at: 20) == [])
        #expect(machine.phase == .isolated)
        #expect(machine.peerHeard(alpha2, at: 21) == [.acquire])
    }

    @Test func higherOwnershipWhileReleasingForIsolation_endsSteppedDown() {
        var machine = Fixture.active()
        _ = machine.tick(seen(10, silence: isolation, failing: false, isolation: true))
        let actions = machine.peerHeard(beta1, at: 10.5)
        #expect(actions.operations == [.recordOwnership(beta1)])
        #expect(
            actions.notification(.stepDown)?.summary.contains("stepped down") == true, "the step-down is told, as any")
        _ = machine.released(at: 11)
        #expect(machine.phase == .steppedDown)
        // And hearing the peer again never brings the address back.
        #expect(machine.peerHeard(beta1, at: 12) == [])
    }

    @Test func afterIsolation_andReacquiring_isolationWorksAgain() {
        var machine = isolatedAlpha()
        _ = machine.peerHeard(Fixture.alphaAtZero, at: 20)
        _ = machine.acquired(succeeded: true, detail: "", at: 21)
        #expect(
            machine.tick(seen(30, silence: isolation, failing: false, isolation: true)).operations == [
                .release(runStopScripts: true)
            ])
        _ = machine.released(at: 31)
        #expect(machine.phase == .isolated)
    }

    @Test func standbyWhoseOwnIsolationCheckFails_doesNotTakeOver() {
        // A standby cut off from everything sees the primary silent and its checks failing, because of itself.
        var machine = Fixture.standby()
        for step in 0..<40 {
            let now = 3 + Double(step) * 0.25
            let actions = machine.tick(seen(now, silence: now, failing: true, isolation: true))
            #expect(!actions.takeTheAddress, "at \(now)")
            #expect(!actions.contains(.fence), "at \(now)")
        }
        #expect(machine.phase == .standby)
        // Once it reaches the world again, it listens a whole dead time afresh: the silence before was its own.
        #expect(machine.tick(seen(20, silence: 20, failing: true, isolation: false)) == [])
        #expect(machine.tick(seen(22.9, silence: 22.9, failing: true, isolation: false)) == [])
        // Still silent and failing: it takes over.
        #expect(machine.tick(seen(23, silence: 23, failing: true, isolation: false)).operations == [.takeOver(beta1)])
    }

    @Test func standbyBackFromIsolation_hearingThePrimary_staysStandby() {
        var machine = Fixture.standby()
        _ = machine.tick(seen(5, silence: 5, failing: true, isolation: true))
        _ = machine.tick(seen(6, silence: 6, failing: true, isolation: false))
        _ = machine.peerHeard(Fixture.alphaAtZero, at: 6.2)
        for step in 1...40 {
            let now = 6.2 + Double(step) * 0.25
            #expect(machine.tick(seen(now, silence: 0.1, failing: false, isolation: false)) == [])
        }
        #expect(machine.phase == .standby)
    }

    @Test func standbyWithAnIsolationCheck_thatPasses_takesOverAsUsual() {
        var machine = Fixture.standby()
        #expect(machine.tick(seen(1, silence: 1, failing: true, isolation: false)) == [])
        #expect(machine.tick(seen(3, silence: dead, failing: true, isolation: false)).operations == [.takeOver(beta1)])
    }

    func isolatedAlpha(ownership: GroupOwnership = FailoverFixture.alphaAtZero) -> FailoverStateMachine {
        var machine = Fixture.active(ownership: ownership)
        _ = machine.tick(seen(10, silence: 10, failing: false, isolation: true))
        _ = machine.released(at: 11)
        #expect(machine.phase == .isolated)
        return machine
    }
}
