import Foundation
import Testing
import UnderstudyCore

/// `understudy maintenance GROUP on`: automatic failover is held, a failure is reported, and a failover asked for
/// still happens.
@Suite struct FailoverStateMachineMaintenanceTests {
    typealias Fixture = FailoverFixture
    let dead = FailoverFixture.deadTime
    let hold = MaintenanceHold(group: "web", since: Date(timeIntervalSince1970: 1_800_000_000), by: "alice")

    private func held(_ now: Double, silence: Double) -> FailoverStateMachine.Observation {
        var observation = seen(now, silence: silence, failing: true)
        observation.maintenance = hold
        return observation
    }

    @Test func autoMode_inMaintenance_onlyAlerts_sayingWhoHoldsIt() {
        var machine = Fixture.standby()
        let actions = machine.tick(held(3, silence: dead))
        #expect(actions.operations == [])
        #expect(actions.notified == [.primaryFailed])
        let detail = actions.notification(.primaryFailed)?.detail ?? ""
        #expect(detail.contains("in maintenance") && detail.contains("by alice"), "\(detail)")
        #expect(detail.contains("understudy maintenance web off"))
        #expect(machine.phase == .standby)
    }

    @Test func maintenanceOver_theSameFailureIsTakenOver_atTheNextEpisode() {
        var machine = Fixture.standby()
        _ = machine.tick(held(3, silence: dead))
        _ = machine.peerHeard(Fixture.alphaAtZero, at: 20)
        #expect(machine.tick(seen(21, silence: 1, failing: true)) == [])
        let actions = machine.tick(seen(23, silence: dead, failing: true))
        #expect(actions.operations == [.takeOver(GroupOwnership(epoch: 1, owner: "beta"))])
    }

    @Test func aFailoverAskedFor_inMaintenance_stillTakesOver() throws {
        var machine = Fixture.standby()
        _ = machine.tick(held(3, silence: dead))
        let actions = try machine.manualFailover(at: 4, peerSilence: dead, force: false).get()
        #expect(actions.operations == [.takeOver(GroupOwnership(epoch: 1, owner: "beta"))])
    }
}
