/// An SNMPv2 trap telling one notification (`[notify.snmp]`), and the messages that carry it: SNMPv2c (a community)
/// or SNMPv3 with USM authentication. Pure: the HMAC comes in as a function, the clock as numbers.
///
/// Varbinds: sysUpTime.0, snmpTrapOID.0 = `trapOID`, then under `objectsOID`: .1 kind, .2 severity, .3 node,
/// .4 group, .5 topic, .6 summary, .7 detail (strings). The default OIDs are in Net-SNMP's "playpen"
/// (1.3.6.1.4.1.8072.9999.9999), the arc it sets aside for local use.
public struct SNMPTrap: Sendable, Equatable {
    public static let defaultTrapOID = "1.3.6.1.4.1.8072.9999.9999.7347.0.1"
    public static let defaultObjectsOID = "1.3.6.1.4.1.8072.9999.9999.7347.1"

    public var trapOID: String
    public var objectsOID: String
    /// Hundredths of a second since the sender started.
    public var upTime: UInt32
    public var requestID: Int32
    public var fields: [String]

    public init(
        event: NotificationEvent, upTime: UInt32, requestID: Int32, trapOID: String = Self.defaultTrapOID,
        objectsOID: String = Self.defaultObjectsOID, summary: String? = nil
    ) {
        self.trapOID = trapOID
        self.objectsOID = objectsOID
        self.upTime = upTime
        self.requestID = requestID
        fields = [
            event.kind.rawValue, event.severity.rawValue, event.node, event.group ?? "", event.topic,
            summary ?? event.summary,
            event.detail,
        ]
    }

    /// The SNMPv2-Trap-PDU.
    public func pdu() -> [UInt8] {
        var bindings = [
            BER.sequence(BER.objectIdentifier("1.3.6.1.2.1.1.3.0")!, BER.unsigned(upTime, tag: 0x43)),
            BER.sequence(
                BER.objectIdentifier("1.3.6.1.6.3.1.1.4.1.0")!,
                BER.objectIdentifier(trapOID) ?? BER.objectIdentifier(Self.defaultTrapOID)!),
        ]
        for (index, field) in fields.enumerated() {
            let oid =
                BER.objectIdentifier("\(objectsOID).\(index + 1)") ?? BER.objectIdentifier(
                    "\(Self.defaultObjectsOID).\(index + 1)")!
            // A trap travels in one UDP datagram: long texts (a script's output) are cut.
            bindings.append(BER.sequence(oid, BER.octetString(Array(field.utf8.prefix(1000)))))
        }
        return BER.tlv(
            0xA7, BER.integer(Int64(requestID)) + BER.integer(0) + BER.integer(0) + BER.sequence(of: bindings))
    }

    /// SNMPv2c: version 1 (v2c), the community, the PDU.
    public func community(_ community: String) -> [UInt8] {
        BER.sequence(BER.integer(1), BER.octetString(community), pdu())
    }

    /// SNMPv3, authNoPriv, the sender authoritative (RFC 3414): `authenticate` returns the HMAC of the whole message
    /// (computed with the authentication parameters zeroed), truncated to `authLength` bytes (12 for HMAC-SHA-96,
    /// 24 for HMAC-SHA-256-192).
    public func userBased(
        user: String, engineID: [UInt8], engineBoots: Int32, engineTime: Int32, messageID: Int32,
        authLength: Int, authenticate: ([UInt8]) -> [UInt8]
    ) -> [UInt8] {
        func message(_ authParameters: [UInt8]) -> [UInt8] {
            let security = BER.sequence(
                BER.octetString(engineID), BER.integer(Int64(engineBoots)), BER.integer(Int64(engineTime)),
                BER.octetString(user), BER.octetString(authParameters), BER.octetString([UInt8]()))
            let header = BER.sequence(
                BER.integer(Int64(messageID)), BER.integer(65507), BER.octetString([0x01]), BER.integer(3))
            let scoped = BER.sequence(BER.octetString(engineID), BER.octetString([UInt8]()), pdu())
            return BER.sequence(BER.integer(3), header, BER.octetString(security), scoped)
        }
        let placeholder = [UInt8](repeating: 0, count: authLength)
        let digest = Array(authenticate(message(placeholder)).prefix(authLength))
        return message(digest)
    }
}
