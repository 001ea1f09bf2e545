import Testing
import UnderstudyCore

/// An active node whose service address went away by itself (its kernel lifetime ran out while the node was frozen,
/// or someone removed it) cannot tell whether the peer took over meanwhile: it gives the group up like an isolated
/// primary, and takes it back only when it hears the peer holding nothing newer.
@Suite struct FailoverStateMachineAddressLapseTests {
    typealias Fixture = FailoverFixture

    @Test func active_whoseAddressLapsed_stopsItsServices_andTellsIt() {
        var machine = Fixture.active()
        let actions = machine.addressLapsed(at: 10)
        #expect(actions.operations == [.release(runStopScripts: true)])
        #expect(actions.notification(.stepDown)?.topic == "address-lapsed")
        #expect(actions.notification(.stepDown)?.severity == .critical)
        #expect(machine.phase == .releasing)
        #expect(machine.released(at: 11) == [])
        #expect(machine.phase == .isolated)
        #expect(machine.isOwner, "nothing was handed over: it still holds the epoch")
    }

    @Test func afterALapse_hearingThePeerWithTheSameOwnership_takesTheAddressBack() {
        var machine = Fixture.active()
        _ = machine.addressLapsed(at: 10)
        _ = machine.released(at: 11)
        #expect(machine.peerHeard(Fixture.alphaAtZero, at: 12) == [.acquire])
        #expect(machine.phase == .acquiring)
    }

    @Test func afterALapse_hearingThatThePeerTookOver_staysDown() {
        var machine = Fixture.active()
        _ = machine.addressLapsed(at: 10)
        _ = machine.released(at: 11)
        let beta1 = GroupOwnership(epoch: 1, owner: "beta")
        #expect(machine.peerHeard(beta1, at: 12).operations == [.recordOwnership(beta1)])
        #expect(machine.phase == .steppedDown)
    }

    @Test func hearingThatThePeerTookOver_whileStillReleasingAfterALapse_isToldAsAStepDown() {
        var machine = Fixture.active()
        _ = machine.addressLapsed(at: 10)
        let beta1 = GroupOwnership(epoch: 1, owner: "beta")
        let actions = machine.peerHeard(beta1, at: 10.5)
        #expect(actions.operations == [.recordOwnership(beta1)])
        #expect(actions.notification(.stepDown)?.summary.contains("alpha stepped down from group web") == true)
        _ = machine.released(at: 11)
        #expect(machine.phase == .steppedDown)
    }

    @Test func aLapse_meansNothing_toANodeThatIsNotServing() {
        var standby = Fixture.standby()
        #expect(standby.addressLapsed(at: 10) == [])
        #expect(standby.phase == .standby)
        var releasing = Fixture.active()
        _ = releasing.peerHeard(GroupOwnership(epoch: 1, owner: "beta"), at: 5)
        #expect(releasing.addressLapsed(at: 6) == [])
    }
}
