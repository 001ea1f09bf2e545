import Testing
import UnderstudyCore

/// A witness breaks the tie between two nodes that cannot hear each other: the standby takes over only when the
/// witness agrees the primary is gone, and a primary that hears neither its peer nor the witness gives the group up.
@Suite struct FailoverStateMachineWitnessTests {
    typealias Fixture = FailoverFixture
    typealias Witness = FailoverStateMachine.WitnessView
    let dead = FailoverFixture.deadTime
    let isolation = FailoverFixture.isolationTime

    func standby() -> FailoverStateMachine {
        var settings = Fixture.settings(node: "beta")
        settings.hasWitness = true
        return FailoverStateMachine(settings: settings, ownership: Fixture.alphaAtZero, at: 0)
    }

    func active() -> FailoverStateMachine {
        var settings = Fixture.settings(node: "alpha")
        settings.hasWitness = true
        var machine = FailoverStateMachine(settings: settings, ownership: Fixture.alphaAtZero, at: 0)
        _ = machine.peerHeard(Fixture.alphaAtZero, at: 1)
        _ = machine.acquired(succeeded: true, detail: "", at: 2)
        return machine
    }

    func seen(
        _ now: Double, silence: Double, failing: Bool = true, witness: Witness?
    ) -> FailoverStateMachine.Observation {
        FailoverStateMachine.Observation(now: now, peerSilence: silence, serviceFailing: failing, witness: witness)
    }

    @Test func noTakeover_whileTheWitnessStillHearsThePrimary_andItIsToldOnce() {
        var machine = standby()
        let hearsAlpha = Witness(name: "node gamma", reachable: true, ownerSilence: 0.2)
        let actions = machine.tick(seen(10, silence: dead, witness: hearsAlpha))
        #expect(actions.operations.isEmpty)
        let told = actions.notification(.primaryFailed)
        #expect(told?.topic == "witness" && told?.severity == .warning)
        #expect(told?.summary.contains("its witness (node gamma) still hears alpha") == true, "\(told?.summary ?? "")")
        #expect(told?.summary.contains("no takeover") == true)
        #expect(machine.tick(seen(11, silence: dead + 1, witness: hearsAlpha)) == [], "told once per silence")
        #expect(machine.phase == .standby)
    }

    @Test func noTakeover_whenTheStandbyCannotReachTheWitnessEither() {
        var machine = standby()
        let actions = machine.tick(seen(10, silence: dead, witness: Witness(name: "node gamma", reachable: false)))
        #expect(actions.operations.isEmpty)
        #expect(
            actions.notification(.primaryFailed)?.summary.contains("cannot reach its witness (node gamma) either")
                == true)
        var unknown = standby()
        #expect(
            unknown.tick(seen(10, silence: dead, witness: nil)).operations.isEmpty,
            "a witness not yet known forbids it too")
        var silentWitness = standby()
        let actions2 = silentWitness.tick(
            seen(10, silence: dead, witness: Witness(name: "node gamma", reachable: true)))
        #expect(actions2.operations.isEmpty, "a node witness that has not said whom it hears does not agree")
        #expect(actions2.notification(.primaryFailed)?.summary.contains("has not said whether it hears alpha") == true)
    }

    @Test func takesOver_whenTheWitnessAgreesThePrimaryIsGone() {
        var machine = standby()
        _ = machine.tick(
            seen(10, silence: dead, witness: Witness(name: "node gamma", reachable: true, ownerSilence: 0.5)))
        let actions = machine.tick(
            seen(13, silence: dead + 3, witness: Witness(name: "node gamma", reachable: true, ownerSilence: dead + 0.1))
        )
        #expect(actions.operations == [.takeOver(GroupOwnership(epoch: 1, owner: "beta"))])
        // A target witness cannot say whom it hears: reaching it is enough.
        var target = standby()
        #expect(
            target.tick(
                seen(10, silence: dead, witness: Witness(name: "tcp 10.0.0.9:443", reachable: true, reports: false))
            ).operations
                == [.takeOver(GroupOwnership(epoch: 1, owner: "beta"))])
    }

    @Test func aPrimaryThatHearsNeitherItsPeerNorTheWitness_givesTheGroupUp() {
        var machine = active()
        #expect(
            machine.tick(seen(5, silence: isolation, witness: Witness(name: "node gamma", reachable: true))) == [],
            "the witness is heard: keep serving")
        let actions = machine.tick(seen(6, silence: isolation, witness: Witness(name: "node gamma", reachable: false)))
        #expect(actions.operations == [.release(runStopScripts: true)])
        #expect(
            actions.notification(.stepDown)?.summary.contains("hears neither its peer nor its witness (node gamma)")
                == true)
        _ = machine.released(at: 7)
        #expect(machine.phase == .isolated)
    }

    @Test func anIsolatedPrimary_takesTheGroupBack_whenTheWitnessHasNotHeardThePeerSinceBefore() {
        var machine = active()
        _ = machine.tick(seen(6, silence: isolation, witness: Witness(name: "node gamma", reachable: false)))
        _ = machine.released(at: 7)
        // The witness is back, but heard beta 2 s ago: beta may have taken over. Stay down.
        #expect(
            machine.tick(seen(12, silence: 8, witness: Witness(name: "node gamma", reachable: true, peerSilence: 2)))
                .isEmpty)
        // Silent to the witness for less than alpha has not heard it: beta may have had the witness's agreement while
        // alpha could not hear it (however long alpha has been isolated since).
        #expect(
            machine.tick(seen(14, silence: 10, witness: Witness(name: "node gamma", reachable: true, peerSilence: 9)))
                .isEmpty)
        // The witness lost beta before alpha did: beta never had its agreement.
        let actions = machine.tick(
            seen(16, silence: 12, witness: Witness(name: "node gamma", reachable: true, peerSilence: 12 + dead + 0.5)))
        #expect(actions.operations == [.acquire])
        #expect(machine.phase == .acquiring)
    }

    @Test func manualFailover_isRefusedWhileTheWitnessHearsThePrimary_unlessForced() {
        var machine = standby()
        let hearsAlpha = Witness(name: "node gamma", reachable: true, ownerSilence: 0.1)
        #expect(
            machine.manualFailover(at: 10, peerSilence: dead, force: false, witness: hearsAlpha)
                == .failure(.witnessDisagrees("its witness (node gamma) still hears alpha (0.1 s ago)")))
        #expect(
            (try? machine.manualFailover(at: 10, peerSilence: dead, force: true, witness: hearsAlpha).get())?.operations
                == [.takeOver(GroupOwnership(epoch: 1, owner: "beta"))])
    }
}
