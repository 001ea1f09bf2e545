import Testing
import UnderstudyCore

@Suite struct SNMPTrapTests {
    @Test func encodesIntegersOIDsAndLengths_asBERDoes() {
        #expect(BER.integer(0) == [0x02, 0x01, 0x00])
        #expect(BER.integer(127) == [0x02, 0x01, 0x7f])
        #expect(BER.integer(128) == [0x02, 0x02, 0x00, 0x80])
        #expect(BER.integer(-1) == [0x02, 0x01, 0xff])
        #expect(BER.integer(65507) == [0x02, 0x03, 0x00, 0xff, 0xe3])
        #expect(BER.unsigned(0x8000_0000, tag: 0x43) == [0x43, 0x05, 0x00, 0x80, 0x00, 0x00, 0x00])
        #expect(
            BER.objectIdentifier("1.3.6.1.2.1.1.3.0") == [0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x03, 0x00])
        #expect(BER.objectIdentifier("1.3.6.1.4.1.8072") == [0x06, 0x07, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xbf, 0x08])
        #expect(
            BER.objectIdentifier("4.1") == nil && BER.objectIdentifier("1") == nil && BER.objectIdentifier("1.x") == nil
        )
        #expect(BER.length(200) == [0x81, 200] && BER.length(300) == [0x82, 0x01, 0x2c])
    }

    @Test func aV2cTrap_isASequenceOfVersionCommunityAndTheTrapPDU() {
        let event = NotificationEvent(
            kind: .stepDown, severity: .critical, node: "alpha", group: "web", topic: "epoch",
            summary: "alpha stepped down", time: 0)
        let trap = SNMPTrap(event: event, upTime: 100, requestID: 7)
        let bytes = trap.community("public")
        // A sequence whose length (long form: 0x8n then n bytes) covers exactly the rest.
        #expect(bytes[0] == 0x30)
        let lengthBytes = bytes[1] < 0x80 ? 0 : Int(bytes[1] & 0x7f)
        let start = 2 + lengthBytes
        let length = lengthBytes == 0 ? Int(bytes[1]) : bytes[2..<start].reduce(0) { $0 << 8 | Int($1) }
        #expect(length == bytes.count - start)
        #expect(Array(bytes[start..<start + 3]) == [0x02, 0x01, 0x01], "version 1 means v2c")
        #expect(Array(bytes[start + 3..<start + 11]) == [0x04, 0x06] + Array("public".utf8))
        #expect(bytes[start + 11] == 0xA7, "an SNMPv2-Trap-PDU")
        #expect(bytes.contains(subsequence: Array("alpha stepped down".utf8)))
    }

    @Test func aV3Trap_carriesTheDigestOfItself_computedWithTheParametersZeroed() {
        let event = NotificationEvent(kind: .stepDown, severity: .critical, node: "alpha", summary: "x", time: 0)
        var digested: [UInt8] = []
        let bytes = SNMPTrap(event: event, upTime: 1, requestID: 1).userBased(
            user: "u", engineID: [0x80, 0, 0, 0, 4, 0x61], engineBoots: 3, engineTime: 9, messageID: 5, authLength: 12
        ) { message in
            digested = message
            return [UInt8](repeating: 0xAB, count: 20)
        }
        #expect(digested.count == bytes.count)
        #expect(
            digested.contains(subsequence: [0x04, 0x0c] + [UInt8](repeating: 0, count: 12)), "zeroed while digested")
        #expect(
            bytes.contains(subsequence: [0x04, 0x0c] + [UInt8](repeating: 0xAB, count: 12)),
            "the digest, cut to 12 bytes")
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence: [UInt8]) -> Bool {
        guard subsequence.count <= count else { return false }
        return (0...(count - subsequence.count)).contains { Array(self[$0..<$0 + subsequence.count]) == subsequence }
    }
}
