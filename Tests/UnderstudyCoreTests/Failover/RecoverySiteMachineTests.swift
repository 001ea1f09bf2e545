import Testing
import UnderstudyCore

/// gamma, the off-site node of "web" (alpha primary, beta standby): it takes the group over only when asked, and
/// only while nothing feeds its copy; it steps down at once when it hears a newer epoch; a restarted holder waits
/// the dead time before it takes its address back.
@Suite struct RecoverySiteMachineTests {
    static let settings = RecoverySiteMachine.Settings(node: "gamma", group: "web", hasFence: false, deadTime: 3)
    let alpha0 = GroupOwnership(epoch: 0, owner: "alpha")
    let beta1 = GroupOwnership(epoch: 1, owner: "beta")
    let gamma2 = GroupOwnership(epoch: 2, owner: "gamma")

    func keeping(_ ownership: GroupOwnership, fence: Bool = false) -> RecoverySiteMachine {
        var settings = Self.settings
        settings.hasFence = fence
        return RecoverySiteMachine(settings: settings, ownership: ownership, at: 0)
    }

    @Test func askedWhileFed_orBeforeItsFirstSync_refuses_andChangesNothing() {
        var machine = keeping(beta1)
        #expect(machine.startActions() == [.release(runStopScripts: false)])
        guard
            case .failure(.fed(by: "beta")) = machine.manualFailover(
                at: 1, feeder: "beta", replicaReady: true, force: false)
        else {
            Issue.record("fed")
            return
        }
        guard
            case .failure(.replicaIncomplete) = machine.manualFailover(
                at: 1, feeder: nil, replicaReady: false, force: false)
        else {
            Issue.record("incomplete")
            return
        }
        #expect(machine.phase == .standby && machine.ownership == beta1)
    }

    @Test func asked_takesOverAboveTheEpochItKnows_andServes() {
        var machine = keeping(beta1)
        guard case .success(let actions) = machine.manualFailover(at: 1, feeder: nil, replicaReady: true, force: false)
        else {
            Issue.record("refused")
            return
        }
        #expect(actions.operations == [.takeOver(gamma2)])
        #expect(actions.notification(.takeoverStarted)?.summary.contains("at the recovery site from beta") == true)
        machine.ownershipStored(gamma2)
        let done = machine.takeoverFinished(stored: true, succeeded: true, detail: "", at: 2)
        #expect(done.notification(.takeoverFinished) != nil)
        #expect(machine.phase == .active && machine.isOwner)
        guard case .failure(.alreadyOwner) = machine.manualFailover(at: 3, feeder: nil, replicaReady: true, force: true)
        else {
            Issue.record("already")
            return
        }
    }

    @Test func withAFence_fencesFirst_andAFailedFenceChangesNothing() {
        var machine = keeping(alpha0, fence: true)
        guard
            case .success(let actions) = machine.manualFailover(at: 1, feeder: "beta", replicaReady: true, force: true)
        else {
            Issue.record("forced")
            return
        }
        #expect(actions.operations == [.fence])
        let failed = machine.fenceFinished(succeeded: false, detail: "exit 1", at: 2)
        #expect(failed.notification(.takeoverFailed) != nil)
        #expect(machine.phase == .standby && machine.ownership == alpha0)
    }

    @Test func serving_hearingANewerEpoch_recordsIt_andReleasesWithStopScripts() {
        var machine = keeping(gamma2)
        #expect(machine.phase == .starting)
        #expect(machine.tick(at: 3) == [.acquire])
        #expect(machine.acquired(succeeded: true, detail: "", at: 3.1) == [])
        let beta3 = GroupOwnership(epoch: 3, owner: "beta")
        let actions = machine.ownershipHeard(beta3, at: 10)
        #expect(actions.operations == [.recordOwnership(beta3), .release(runStopScripts: true)])
        #expect(actions.notification(.stepDown)?.summary.contains("epoch 3 (beta)") == true)
        #expect(machine.released(at: 11) == [])
        #expect(machine.phase == .standby && !machine.isOwner)
        #expect(machine.ownershipHeard(beta1, at: 12) == [], "an older epoch changes nothing")
    }

    @Test func restartedHolder_hearingANewerEpochWithinTheDeadTime_neverTakesItsAddress() {
        var machine = keeping(gamma2)
        #expect(machine.tick(at: 1) == [])
        let beta3 = GroupOwnership(epoch: 3, owner: "beta")
        #expect(machine.ownershipHeard(beta3, at: 2).operations.contains(.release(runStopScripts: true)))
        _ = machine.released(at: 2.5)
        #expect(machine.tick(at: 10) == [])
    }

    @Test func aNewerEpochHeardDuringTheTakeover_stepsDownOnceItEnds() {
        var machine = keeping(beta1)
        _ = machine.manualFailover(at: 1, feeder: nil, replicaReady: true, force: false)
        let beta3 = GroupOwnership(epoch: 3, owner: "beta")
        #expect(machine.ownershipHeard(beta3, at: 1.5) == [.recordOwnership(beta3)])
        machine.ownershipStored(gamma2)
        let done = machine.takeoverFinished(stored: true, succeeded: true, detail: "", at: 2)
        #expect(done.operations.contains(.release(runStopScripts: true)))
        #expect(machine.ownership == beta3 && !machine.isOwner)
    }
}
