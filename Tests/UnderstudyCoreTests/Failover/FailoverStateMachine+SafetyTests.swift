import Testing
import UnderstudyCore

/// Guards found in review: the stored epoch is advertised during a takeover, a stale or partial replica is not
/// served without --force, and a restarted owner that cannot reach the world does not take the address.
struct FailoverStateMachineSafetyTests {
    @Test func advertisesTheStoredEpoch_whileTheTakeoverStillRuns() {
        var beta = FailoverFixture.standby()
        let actions = beta.tick(seen(10, silence: FailoverFixture.deadTime, failing: true))
        #expect(actions.contains(.takeOver(GroupOwnership(epoch: 1, owner: "beta"))))
        #expect(beta.ownership == FailoverFixture.alphaAtZero, "nothing is stored yet")
        beta.ownershipStored(GroupOwnership(epoch: 1, owner: "beta"))
        #expect(beta.phase == .takingOver)
        #expect(beta.ownership == GroupOwnership(epoch: 1, owner: "beta"), "heartbeats carry the stored epoch at once")
        // alpha's daemon restarts meanwhile and hears it: it steps down instead of taking the address.
        var alpha = FailoverFixture.owner(at: 11)
        let heard = alpha.peerHeard(beta.ownership, at: 11.2)
        #expect(!heard.contains { $0.takesTheAddress })
        #expect(heard.contains(.recordOwnership(GroupOwnership(epoch: 1, owner: "beta"))))
        let finished = beta.takeoverFinished(stored: true, succeeded: true, detail: "", at: 12)
        #expect(beta.phase == .active)
        #expect(!finished.contains(where: { if case .release = $0 { return true } else { return false } }))
    }

    @Test func ignoresAStoredOwnership_thatIsNotTheTakeoversOwn() {
        var beta = FailoverFixture.standby()
        _ = beta.tick(seen(10, silence: FailoverFixture.deadTime, failing: true))
        beta.ownershipStored(GroupOwnership(epoch: 7, owner: "beta"))
        #expect(beta.ownership == FailoverFixture.alphaAtZero)
    }

    @Test func refusesAManualTakeover_ofStaleData_unlessForced() {
        let newer = GroupOwnership(epoch: 1, owner: "beta")
        var settings = FailoverFixture.settings(node: "alpha")
        settings.followsOwner = false
        var alpha = FailoverStateMachine(settings: settings, ownership: newer, at: 0)
        #expect(alpha.phase == .steppedDown, "an old primary that knows of the takeover starts stepped down")
        let refused = alpha.manualFailover(at: 100, peerSilence: 50, force: false)
        guard case .failure(.staleData(newer)) = refused else {
            Issue.record("expected a stale-data refusal, got \(refused)")
            return
        }
        #expect("\(FailoverStateMachine.ManualFailoverRefusal.staleData(newer))".contains("--force"))
        guard case .success(let actions) = alpha.manualFailover(at: 100, peerSilence: 50, force: true) else {
            Issue.record("--force must take over")
            return
        }
        #expect(actions.contains(.takeOver(GroupOwnership(epoch: 2, owner: "alpha"))))
    }

    @Test func doesNotTakeOverAPartialReplica_byItself_andAlertsOnce() {
        var beta = FailoverFixture.standby()
        var observation = seen(10, silence: FailoverFixture.deadTime, failing: true)
        observation.replicaReady = false
        let actions = beta.tick(observation)
        #expect(!actions.contains { $0.takesTheAddress })
        #expect(actions.compactMap(\.notifiedKind) == [.primaryFailed])
        observation.now = 11
        #expect(beta.tick(observation).isEmpty)
        guard
            case .failure(.replicaIncomplete) = beta.manualFailover(
                at: 12, peerSilence: 5, force: false, replicaReady: false)
        else {
            Issue.record("a partial replica must need --force")
            return
        }
        guard case .success = beta.manualFailover(at: 12, peerSilence: 5, force: true, replicaReady: false) else {
            Issue.record("--force must take over")
            return
        }
    }

    @Test func restartedOwnerThatCannotReachTheWorld_waitsInsteadOfTakingTheAddress() {
        var alpha = FailoverFixture.owner(at: 0)
        #expect(alpha.tick(seen(FailoverFixture.deadTime + 1, silence: 10, failing: true, isolation: true)).isEmpty)
        #expect(alpha.phase == .starting)
        let later = alpha.tick(seen(FailoverFixture.deadTime + 2, silence: 11, failing: true, isolation: false))
        #expect(later == [.acquire])
    }
}
