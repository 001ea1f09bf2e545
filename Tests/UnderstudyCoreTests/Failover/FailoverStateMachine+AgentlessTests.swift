import Testing
import UnderstudyCore

/// An agentless primary is never heard: only its checks say it failed.
@Suite struct FailoverStateMachineAgentlessTests {
    static func standby(mode: TakeoverConfiguration.Mode = .manual, checks: Bool = true) -> FailoverStateMachine {
        FailoverStateMachine(
            settings: FailoverStateMachine.Settings(
                node: "beta", group: "web", mode: mode, deadTime: FailoverFixture.deadTime,
                isolationTime: FailoverFixture.isolationTime, hasFence: true, hasChecks: checks, peer: "alpha",
                agentless: true),
            ownership: FailoverFixture.alphaAtZero, at: 0)
    }

    @Test func silence_isNoFailure_ofAPrimaryThatSendsNoHeartbeats() {
        var machine = Self.standby(mode: .auto, checks: false)
        #expect(machine.tick(seen(100, silence: 100, failing: false)).isEmpty)
        var checked = Self.standby(mode: .auto)
        #expect(checked.tick(seen(100, silence: 100, failing: false)).isEmpty, "no 'silent but serving' warning either")
        #expect(checked.phase == .standby)
    }

    @Test func failingChecks_failThePrimary_andFenceFirstInAutomaticMode() {
        var machine = Self.standby(mode: .auto)
        let actions = machine.tick(seen(5, silence: 5, failing: true))
        #expect(actions.contains(.fence))
        #expect(machine.phase == .fencing)
        let alert = actions.compactMap { action -> String? in
            if case .notify(_, _, _, let summary, _) = action { return summary }
            return nil
        }
        #expect(alert.contains { $0.contains("its service checks fail (it runs no understudy") })
    }

    @Test func manualMode_alertsOncePerFailure_andAgainAfterTheChecksPassed() {
        var machine = Self.standby()
        #expect(!machine.tick(seen(5, silence: 5, failing: true)).isEmpty)
        #expect(machine.tick(seen(6, silence: 6, failing: true)).isEmpty)
        #expect(machine.tick(seen(7, silence: 7, failing: false)).isEmpty)
        #expect(!machine.tick(seen(8, silence: 8, failing: true)).isEmpty)
        #expect(machine.phase == .standby)
    }

    @Test func manualFailover_isRefused_whileTheServiceAnswers_unlessForced() {
        var machine = Self.standby()
        let refused = machine.manualFailover(at: 0.5, peerSilence: 0.5, force: false, serviceAnswers: true)
        #expect(refused == .failure(.serviceAnswers))
        var quiet = Self.standby()
        guard case .success(let actions) = quiet.manualFailover(at: 0.5, peerSilence: 0.5, force: false) else {
            Issue.record("a takeover of a primary whose checks do not pass, at once (no heartbeats to wait for)")
            return
        }
        #expect(actions.contains(.fence))
        var forced = Self.standby()
        guard case .success = forced.manualFailover(at: 0.5, peerSilence: 0.5, force: true, serviceAnswers: true)
        else {
            Issue.record("--force takes over anyway")
            return
        }
    }

    /// beta serving the group after a takeover (epoch 1).
    static func serving() -> FailoverStateMachine {
        var machine = Self.standby(mode: .auto)
        _ = machine.tick(seen(5, silence: 5, failing: true))
        _ = machine.fenceFinished(succeeded: true, detail: "", at: 5.5)
        _ = machine.takeoverFinished(stored: true, succeeded: true, detail: "", at: 6)
        #expect(machine.phase == .active)
        return machine
    }

    @Test func failback_handsTheGroupBackAtTheNextEpoch_andJudgesThePrimaryOnlyOnceItsServiceAnswers() {
        var machine = Self.serving()
        let back = machine.beginHandBack(at: 10)
        #expect(back == GroupOwnership(epoch: 2, owner: "alpha"))
        #expect(machine.phase == .handingOver)
        #expect(machine.beginHandBack(at: 10.1) == nil, "one at a time")
        #expect(machine.tick(seen(11, silence: 11, failing: true)).isEmpty)
        #expect(machine.handBackEnded(stored: back, at: 12).isEmpty)
        #expect(machine.phase == .standby)
        #expect(machine.ownership == back)
        // The primary's services are started by hand after the hand-back: failing checks before one passed mean
        // nothing yet.
        #expect(machine.tick(seen(20, silence: 20, failing: true)).isEmpty)
        var answered = seen(21, silence: 21, failing: false)
        answered.serviceAnswers = true
        #expect(machine.tick(answered).isEmpty)
        #expect(machine.tick(seen(22, silence: 22, failing: true)).contains(.fence), "failed again: fenced, taken over")
    }

    @Test func failback_thatCouldNotCopyBack_servesTheGroupAgain() {
        var machine = Self.serving()
        #expect(machine.beginHandBack(at: 10) != nil)
        #expect(machine.handBackEnded(stored: nil, at: 11) == [.acquire])
        #expect(machine.phase == .acquiring)
        #expect(machine.isOwner)
    }

    @Test func failback_isRefused_whenNotServing_orNotAgentless() {
        var standby = Self.standby()
        #expect(standby.beginHandBack(at: 1) == nil)
        #expect(standby.phase == .standby)
        var plain = FailoverFixture.takenOver()
        #expect(plain.beginHandBack(at: 20) == nil, "a group whose primary runs understudy switches over instead")
    }
}
