import Testing
import UnderstudyCore

/// The standby's decision: when the primary counts as failed, what a takeover asks for, and how it ends.
/// Manual mode, fencing, the owner's start, step-down and isolation are in the `FailoverStateMachine+…Tests`
/// files; both nodes together in `FailoverStateMachine+SplitBrainTests`.
@Suite struct FailoverStateMachineTests {
    typealias Fixture = FailoverFixture
    let dead = FailoverFixture.deadTime

    // MARK: - Start

    @Test func startsInStandby_whenAnotherNodeOwns() {
        let machine = Fixture.standby(at: 5)
        #expect(machine.phase == .standby)
        #expect(machine.phaseSince == 5)
        #expect(!machine.isOwner)
        #expect(!machine.peerHeard)
        #expect(machine.failureSeenAt == nil)
        #expect(machine.ownership == Fixture.alphaAtZero)
    }

    @Test func nonOwnerStart_releasesLeftoverAddress_withoutStopScripts() {
        #expect(Fixture.standby().startActions() == [.release(runStopScripts: false)])
    }

    @Test func ownerStart_touchesNothing() {
        let machine = Fixture.owner()
        #expect(machine.startActions() == [])
        #expect(machine.phase == .starting)
        #expect(machine.isOwner)
    }

    @Test func nodeThatTookOverEarlier_startsAsOwner_andStandbyOfNewOwner_releases() {
        let beta = FailoverStateMachine(
            settings: Fixture.settings(node: "beta"), ownership: GroupOwnership(epoch: 3, owner: "beta"), at: 0)
        #expect(beta.phase == .starting)
        #expect(beta.startActions() == [])
        let alpha = FailoverStateMachine(
            settings: Fixture.settings(node: "alpha"), ownership: GroupOwnership(epoch: 3, owner: "beta"), at: 0)
        #expect(alpha.phase == .standby)
        #expect(alpha.startActions() == [.release(runStopScripts: false)])
    }

    // MARK: - No takeover

    @Test func noTakeover_whileAnyHeartbeatIsRecent_evenWithChecksFailing() {
        var machine = Fixture.standby()
        for step in 0..<200 {
            let now = Double(step) * 0.1
            let silence = Double(step % 30) * 0.1  // up to 2.9 s: always below the dead time
            #expect(machine.tick(seen(now, silence: silence, failing: true)) == [])
        }
        #expect(machine.phase == .standby)
        #expect(machine.failureSeenAt == nil)
    }

    @Test func noTakeover_whenChecksFail_butHeartbeatsFlow() {
        var machine = Fixture.standby()
        for step in 0..<100 {
            let now = Double(step) * 0.2
            _ = machine.peerHeard(Fixture.alphaAtZero, at: now)
            #expect(machine.tick(seen(now, silence: 0, failing: true)) == [])
        }
        #expect(machine.phase == .standby)
    }

    @Test func noTakeover_whenAllLinksSilent_butChecksPass_warnsOnce() {
        var machine = Fixture.standby()
        let first = machine.tick(seen(3, silence: dead, failing: false))
        #expect(first.operations == [])
        let warning = first.notification(.linkDown)
        #expect(warning?.severity == .warning)
        #expect(warning?.topic == "all-links")
        #expect(warning?.summary.contains("no takeover") == true)
        for step in 1...100 {
            let now = 3 + Double(step) * 0.2
            #expect(machine.tick(seen(now, silence: now, failing: false)) == [], "repeated at \(now)")
        }
        #expect(machine.phase == .standby)
        #expect(machine.failureSeenAt == nil)
    }

    @Test func silentButServingWarning_comesAgain_afterThePeerWasHeard() {
        var machine = Fixture.standby()
        #expect(machine.tick(seen(3, silence: dead, failing: false)).notified == [.linkDown])
        _ = machine.peerHeard(Fixture.alphaAtZero, at: 4)
        #expect(machine.tick(seen(5, silence: 1, failing: false)) == [])
        #expect(machine.tick(seen(7, silence: dead, failing: false)).notified == [.linkDown])
    }

    @Test func silentButServing_thenChecksFail_takesOver() {
        var machine = Fixture.standby()
        _ = machine.tick(seen(3, silence: dead, failing: false))
        let actions = machine.tick(seen(4, silence: 4, failing: true))
        #expect(actions.operations == [.takeOver(GroupOwnership(epoch: 1, owner: "beta"))])
    }

    // MARK: - Takeover

    @Test func noTakeover_justBelowTheDeadTime() {
        var machine = Fixture.standby()
        #expect(machine.tick(seen(2.999, silence: dead - 0.001, failing: true)) == [])
        #expect(machine.tick(seen(2.9999999, silence: dead.nextDown, failing: true)) == [])
        #expect(machine.phase == .standby)
    }

    @Test func promotes_whenAllLinksSilent_andChecksFail_atTheDeadTimeExactly() {
        var machine = Fixture.standby()
        let actions = machine.tick(seen(3, silence: dead, failing: true))
        #expect(actions.notified == [.primaryFailed, .takeoverStarted])
        #expect(actions.operations == [.takeOver(GroupOwnership(epoch: 1, owner: "beta"))])
        let failed = actions.notification(.primaryFailed)
        #expect(failed?.severity == .critical)
        #expect(failed?.topic == "alpha")
        #expect(failed?.summary.contains("and its service checks fail") == true)
        #expect(failed?.detail == "Taking over now.")
        #expect(actions.notification(.takeoverStarted)?.summary == "beta is taking over group web from alpha")
        #expect(machine.phase == .takingOver)
        #expect(machine.phaseSince == 3)
        #expect(machine.failureSeenAt == 3)
        // Nothing is stored before the engine reports the takeover done.
        #expect(machine.ownership == Fixture.alphaAtZero)
        #expect(!machine.isOwner)
    }

    @Test func takeover_carriesTheNextEpoch_ownedByThisNode() {
        var machine = Fixture.standby(ownership: GroupOwnership(epoch: 41, owner: "alpha"))
        let actions = machine.tick(seen(3, silence: 3.5, failing: true))
        #expect(actions.operations == [.takeOver(GroupOwnership(epoch: 42, owner: "beta"))])
    }

    @Test func withoutChecks_silenceAloneIsFailure() {
        var machine = Fixture.standby(checks: false)
        #expect(machine.tick(seen(2.9, silence: 2.9, failing: false)) == [])
        let actions = machine.tick(seen(3, silence: dead, failing: false))
        #expect(actions.operations == [.takeOver(GroupOwnership(epoch: 1, owner: "beta"))])
        let summary = actions.notification(.primaryFailed)?.summary
        #expect(summary?.contains("silent on every link for 3.0 s") == true)
        #expect(summary?.contains("checks") == false)
    }

    @Test func whileTakingOver_ticksAndHeartbeatsChangeNothing() {
        var machine = Fixture.standby()
        _ = machine.tick(seen(3, silence: dead, failing: true))
        for step in 1...20 {
            let now = 3 + Double(step) * 0.25
            #expect(machine.tick(seen(now, silence: now, failing: true)) == [])
            #expect(machine.peerHeard(Fixture.alphaAtZero, at: now) == [])
        }
        #expect(machine.phase == .takingOver)
    }

    @Test func strayCompletions_areIgnored_inStandby() {
        var machine = Fixture.standby()
        #expect(machine.takeoverFinished(stored: true, succeeded: true, detail: "", at: 1) == [])
        #expect(machine.fenceFinished(succeeded: true, detail: "", at: 1) == [])
        #expect(machine.acquired(succeeded: true, detail: "", at: 1) == [])
        #expect(machine.released(at: 1) == [])
        #expect(machine.phase == .standby)
        #expect(machine.ownership == Fixture.alphaAtZero)
    }

    // MARK: - Failure episodes

    @Test func primaryFailed_isNotifiedOncePerEpisode() {
        var machine = Fixture.standby()
        _ = machine.tick(seen(3, silence: dead, failing: true))
        _ = machine.takeoverFinished(stored: false, succeeded: false, detail: "disk full", at: 3.2)
        #expect(machine.phase == .standby)
        for step in 1...50 {
            let now = 3.2 + Double(step) * 0.2
            #expect(machine.tick(seen(now, silence: now, failing: true)) == [], "no retry at \(now)")
        }
    }

    @Test func primaryFailed_isNotifiedAgain_afterThePeerWasHeard_andFailedAgain() {
        var machine = Fixture.standby()
        _ = machine.tick(seen(3, silence: dead, failing: true))
        _ = machine.takeoverFinished(stored: false, succeeded: false, detail: "", at: 3.1)
        #expect(machine.tick(seen(4, silence: 4, failing: true)) == [])
        _ = machine.peerHeard(Fixture.alphaAtZero, at: 5)
        #expect(machine.failureSeenAt == nil)
        #expect(machine.tick(seen(7, silence: 2, failing: true)) == [])
        let again = machine.tick(seen(8, silence: dead, failing: true))
        #expect(again.notified == [.primaryFailed, .takeoverStarted])
        #expect(again.operations == [.takeOver(GroupOwnership(epoch: 1, owner: "beta"))])
        #expect(machine.failureSeenAt == 8)
    }

    // MARK: - The takeover's end

    @Test func takeoverNotStored_backToStandby_ownsNothing() {
        var machine = Fixture.standby()
        _ = machine.tick(seen(3, silence: dead, failing: true))
        let actions = machine.takeoverFinished(
            stored: false, succeeded: false, detail: "epoch: disk I/O error", at: 3.5)
        #expect(actions.operations == [])
        let failed = actions.notification(.takeoverFailed)
        #expect(failed?.severity == .critical)
        #expect(failed?.topic == "epoch")
        #expect(failed?.summary.contains("did NOT take over") == true)
        #expect(failed?.detail == "epoch: disk I/O error")
        #expect(machine.phase == .standby)
        #expect(machine.ownership == Fixture.alphaAtZero)
        #expect(!machine.isOwner)
    }

    @Test func takeoverStored_active_withTheNextEpoch() {
        var machine = Fixture.standby()
        _ = machine.tick(seen(3, silence: dead, failing: true))
        let actions = machine.takeoverFinished(stored: true, succeeded: true, detail: "address 0.01 s", at: 3.42)
        #expect(actions.operations == [])
        let finished = actions.notification(.takeoverFinished)
        #expect(finished?.summary == "beta took over group web at epoch 1 in 0.42 s, 3.42 s after the last heartbeat")
        #expect(finished?.detail == "address 0.01 s")
        #expect(machine.phase == .active)
        #expect(machine.phaseSince == 3.42)
        #expect(machine.ownership == GroupOwnership(epoch: 1, owner: "beta"))
        #expect(machine.isOwner)
    }

    @Test func takeoverStored_withFailedSteps_isActive_andSaysSo() {
        var machine = Fixture.standby()
        _ = machine.tick(seen(3, silence: dead, failing: true))
        let actions = machine.takeoverFinished(stored: true, succeeded: false, detail: "start script exited 1", at: 4)
        #expect(actions.notified == [.takeoverFailed])
        #expect(actions.notification(.takeoverFailed)?.summary.contains("but some steps failed") == true)
        #expect(machine.phase == .active)
        #expect(machine.ownership == GroupOwnership(epoch: 1, owner: "beta"))
    }

    @Test func afterTakeover_theNewPrimary_doesNotWatchTheOldOne() {
        var machine = Fixture.takenOver()
        for step in 1...40 {
            let now = 10.5 + Double(step) * 0.25
            #expect(machine.tick(seen(now, silence: now, failing: true)) == [])
        }
        #expect(machine.phase == .active)
    }

    @Test func afterTakeover_hearingTheOldOwnership_changesNothing() {
        var machine = Fixture.takenOver()
        #expect(machine.peerHeard(Fixture.alphaAtZero, at: 11) == [])
        #expect(machine.phase == .active)
        #expect(machine.ownership == GroupOwnership(epoch: 1, owner: "beta"))
    }

    // MARK: - Ownership learned in standby

    @Test func standby_recordsANewerOwnership_withoutActing() {
        var machine = Fixture.standby()
        let newer = GroupOwnership(epoch: 2, owner: "alpha")
        #expect(machine.peerHeard(newer, at: 1) == [.recordOwnership(newer)])
        #expect(machine.phase == .standby)
        #expect(machine.ownership == newer)
        #expect(machine.peerHeard(newer, at: 2) == [])
        #expect(machine.peerHeard(Fixture.alphaAtZero, at: 3) == [])
        #expect(machine.ownership == newer)
        // The next takeover builds on what was learned.
        #expect(
            machine.tick(seen(6, silence: dead, failing: true)).operations == [
                .takeOver(GroupOwnership(epoch: 3, owner: "beta"))
            ])
    }

    @Test func peerHeard_isRemembered() {
        var machine = Fixture.standby()
        _ = machine.peerHeard(Fixture.alphaAtZero, at: 1)
        #expect(machine.peerHeard)
    }
}
