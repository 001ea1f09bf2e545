import UnderstudyCore

/// One heartbeat: a UDP datagram a node sends to each peer on each link, several times a second.
///
/// Layout (big-endian): "USHB", version (1), sequence (8), sender, receiver, link, group count (2), then per
/// group: name, epoch (8), owner, phase; then, only from a witness, a hearing count (1) and per node it hears: name,
/// silence in milliseconds (4); strings are a length byte and UTF-8. The authenticator (HMAC-SHA256
/// over everything before it, with the cluster key) follows; it is added and checked by the engine, which
/// holds the key. The receiver and link are inside so a datagram cannot be replayed to another node or on
/// another link; the sequence grows across restarts (it starts at the sender's clock in nanoseconds) so a
/// recorded one cannot be replayed later.
public struct HeartbeatMessage: Sendable, Equatable {
    public struct GroupState: Sendable, Equatable {
        public var group: String
        public var ownership: GroupOwnership
        /// The sender's phase for the group (`FailoverPhase` raw value), for status.
        public var phase: String

        public init(group: String, ownership: GroupOwnership, phase: String) {
            self.group = group
            self.ownership = ownership
            self.phase = phase
        }
    }

    /// What a witness tells each node of a group it witnesses: how long it has not heard `node` (on any link).
    public struct Hearing: Sendable, Equatable {
        public var node: String
        public var silenceMilliseconds: UInt32

        public init(node: String, silenceMilliseconds: UInt32) {
            self.node = node
            self.silenceMilliseconds = silenceMilliseconds
        }
    }

    public static let magic: [UInt8] = Array("USHB".utf8)
    public static let version: UInt8 = 1
    /// Well under a typical 1500-byte MTU with the authenticator, so a heartbeat is never fragmented.
    public static let maximumSize = 1200
    public static let maximumGroups = 16

    public var sequence: UInt64
    public var sender: String
    public var receiver: String
    public var link: String
    public var groups: [GroupState]
    /// Sent by a witness only (an older receiver would refuse the trailer: upgrade every node before adding one).
    public var hearings: [Hearing]

    public init(
        sequence: UInt64, sender: String, receiver: String, link: String, groups: [GroupState], hearings: [Hearing] = []
    ) {
        self.sequence = sequence
        self.sender = sender
        self.receiver = receiver
        self.link = link
        self.groups = groups
        self.hearings = hearings
    }

    public func encoded() -> [UInt8] {
        var bytes = Self.magic
        bytes.append(Self.version)
        Self.append(sequence, to: &bytes)
        for text in [sender, receiver, link] { Self.append(text, to: &bytes) }
        let included = groups.prefix(Self.maximumGroups)
        bytes.append(UInt8(included.count >> 8))
        bytes.append(UInt8(included.count & 0xff))
        for state in included {
            Self.append(state.group, to: &bytes)
            Self.append(state.ownership.epoch, to: &bytes)
            Self.append(state.ownership.owner, to: &bytes)
            Self.append(state.phase, to: &bytes)
        }
        if !hearings.isEmpty {
            let heard = hearings.prefix(Self.maximumGroups)
            bytes.append(UInt8(heard.count))
            for hearing in heard {
                Self.append(hearing.node, to: &bytes)
                for shift in stride(from: 24, through: 0, by: -8) {
                    bytes.append(UInt8(truncatingIfNeeded: hearing.silenceMilliseconds >> UInt32(shift)))
                }
            }
        }
        return bytes
    }

    /// Decodes the body (authenticator already removed and checked). Every field is bounded; nothing in a
    /// hostile datagram can make this read past the end or allocate more than the datagram's size.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> HeartbeatMessage {
        var reader = Reader(bytes: bytes)
        guard try reader.take(4) == magic else { throw WireError(.malformedFrame, "not a heartbeat (no USHB magic)") }
        let version = try reader.byte()
        guard version == Self.version else {
            throw WireError(
                .protocolVersion,
                "heartbeat version \(version); this node speaks \(Self.version) (run the same understudy version on every node)"
            )
        }
        let sequence = try reader.uint64()
        let sender = try reader.string("sender")
        let receiver = try reader.string("receiver")
        let link = try reader.string("link")
        let count = Int(try reader.byte()) << 8 | Int(try reader.byte())
        guard count <= maximumGroups else {
            throw WireError(.malformedFrame, "heartbeat claims \(count) groups (at most \(maximumGroups))")
        }
        var groups: [GroupState] = []
        for _ in 0..<count {
            let group = try reader.string("group")
            let epoch = try reader.uint64()
            let owner = try reader.string("owner")
            let phase = try reader.string("phase")
            groups.append(GroupState(group: group, ownership: GroupOwnership(epoch: epoch, owner: owner), phase: phase))
        }
        var hearings: [Hearing] = []
        if !reader.isAtEnd {
            let heard = Int(try reader.byte())
            guard heard >= 1, heard <= maximumGroups else {
                throw WireError(.malformedFrame, "heartbeat claims \(heard) hearings (1 to \(maximumGroups))")
            }
            for _ in 0..<heard {
                let node = try reader.string("heard node")
                let silence = try reader.take(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                hearings.append(Hearing(node: node, silenceMilliseconds: silence))
            }
        }
        guard reader.isAtEnd else {
            throw WireError(.malformedFrame, "heartbeat has \(bytes.count - reader.offset) bytes after its last part")
        }
        return HeartbeatMessage(
            sequence: sequence, sender: sender, receiver: receiver, link: link, groups: groups, hearings: hearings)
    }

    private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    private static func append(_ text: String, to bytes: inout [UInt8]) {
        let utf8 = Array(text.utf8.prefix(255))
        bytes.append(UInt8(utf8.count))
        bytes += utf8
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var isAtEnd: Bool { offset == bytes.count }

        mutating func take(_ count: Int) throws(WireError) -> [UInt8] {
            guard count <= bytes.count - offset else {
                throw WireError(.malformedFrame, "heartbeat ends early (at byte \(offset) of \(bytes.count))")
            }
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }

        mutating func byte() throws(WireError) -> UInt8 { try take(1)[0] }

        mutating func uint64() throws(WireError) -> UInt64 {
            try take(8).reduce(0) { $0 << 8 | UInt64($1) }
        }

        mutating func string(_ what: String) throws(WireError) -> String {
            let length = Int(try byte())
            guard let text = String(validating: try take(length), as: UTF8.self) else {
                throw WireError(.malformedFrame, "heartbeat's \(what) is not UTF-8")
            }
            return text
        }
    }
}
