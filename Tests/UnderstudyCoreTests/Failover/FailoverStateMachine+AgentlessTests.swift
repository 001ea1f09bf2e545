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
}
