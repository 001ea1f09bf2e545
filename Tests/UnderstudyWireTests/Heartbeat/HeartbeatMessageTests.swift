import Testing
import UnderstudyCore
import UnderstudyWire

@Suite struct HeartbeatMessageTests {
    let groups = [
        HeartbeatMessage.GroupState(group: "web", ownership: GroupOwnership(epoch: 3, owner: "alpha"), phase: "active")
    ]

    @Test func roundTrips_withAndWithoutAWitnessesHearings() throws {
        let plain = HeartbeatMessage(sequence: 7, sender: "alpha", receiver: "beta", link: "lan", groups: groups)
        #expect(try HeartbeatMessage.decode(plain.encoded()) == plain)
        let witness = HeartbeatMessage(
            sequence: 8, sender: "gamma", receiver: "beta", link: "wb", groups: [],
            hearings: [
                .init(node: "alpha", silenceMilliseconds: 120), .init(node: "beta", silenceMilliseconds: 4_000_000_000),
            ])
        #expect(try HeartbeatMessage.decode(witness.encoded()) == witness)
    }

    @Test func aHeartbeatWithoutHearings_isEncodedAsBefore() {
        // Older nodes refuse bytes after the groups: only a witness adds them.
        let plain = HeartbeatMessage(sequence: 7, sender: "alpha", receiver: "beta", link: "lan", groups: groups)
        #expect(plain.encoded().count == 4 + 1 + 8 + 6 + 5 + 4 + 2 + (4 + 8 + 6 + 7))
    }

    @Test(arguments: [
        ([0], "claims 0 hearings"),
        ([17], "claims 17 hearings"),
        ([1, 5, 97, 108, 112], "ends early"),
        ([1, 5, 97, 108, 112, 104, 97, 0, 0, 0, 1, 9], "bytes after its last part"),
    ])
    func refuses_aMalformedHearingsTrailer(trailer: [UInt8], message: String) {
        let bytes =
            HeartbeatMessage(sequence: 7, sender: "alpha", receiver: "beta", link: "lan", groups: groups).encoded()
            + trailer
        #expect(throws: WireError.self) { try HeartbeatMessage.decode(bytes) }
        do {
            _ = try HeartbeatMessage.decode(bytes)
        } catch {
            #expect(error.message.contains(message), "\(error)")
        }
    }
}
