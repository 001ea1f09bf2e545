/// The address a group's clients use, which the acting primary holds on one of its interfaces:
/// "10.77.1.100/24" or "fd00:77::100/64". A value of bytes in network order and a prefix length.
///
/// Parsed here rather than with inet_pton so the pure core can explain exactly what is wrong with a
/// configured address, and so that what is accepted does not depend on the C library.
public struct ServiceAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Family: Sendable, Hashable {
        case ipv4, ipv6
    }

    public let family: Family
    /// 4 bytes for IPv4, 16 for IPv6, most significant first (network order).
    public let bytes: [UInt8]
    /// 1...32 for IPv4, 1...128 for IPv6; 32 or 128 when the text has no "/n".
    public let prefixLength: Int

    /// - Precondition: `bytes` has 4 bytes for IPv4 or 16 for IPv6, and the prefix fits the family.
    public init(family: Family, bytes: [UInt8], prefixLength: Int) {
        let width = family == .ipv4 ? 4 : 16
        precondition(bytes.count == width, "an \(family) address has \(width) bytes, not \(bytes.count)")
        precondition(
            (1...width * 8).contains(prefixLength), "prefix /\(prefixLength) does not fit an \(family) address")
        self.family = family
        self.bytes = bytes
        self.prefixLength = prefixLength
    }

    /// The address alone: dotted decimal, or IPv6 in the canonical form of RFC 5952 (lowercase, no
    /// leading zeros, the longest run of zero groups as "::", IPv4-mapped addresses as ::ffff:a.b.c.d).
    public var address: String {
        switch family {
        case .ipv4:
            return bytes.map(String.init).joined(separator: ".")
        case .ipv6:
            return Self.canonicalIPv6(bytes)
        }
    }

    /// "10.77.1.100/24": always with the prefix, so logs say exactly what was added.
    public var description: String { "\(address)/\(prefixLength)" }

    /// Parses "address" or "address/prefix". Without a prefix the address stands alone (/32, /128).
    public static func parse(_ text: String) throws(ServiceAddressParseError) -> ServiceAddress {
        func fail(_ reason: String) -> ServiceAddressParseError {
            ServiceAddressParseError(text: text, reason: reason)
        }
        guard !text.isEmpty else { throw fail("it is empty") }
        guard text.unicodeScalars.allSatisfy({ $0.isASCII && $0.properties.isWhitespace == false }) else {
            throw fail("it contains a space or a character that is not ASCII")
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw fail("it has more than one '/'") }
        let addressText = parts[0]
        guard !addressText.isEmpty else { throw fail("the address before '/' is missing") }
        if addressText.contains("%") {
            throw fail("a zone such as '%eth0' is not allowed; name the interface in the group's settings instead")
        }

        let family: Family = addressText.contains(":") ? .ipv6 : .ipv4
        let bytes: [UInt8]
        do {
            bytes = family == .ipv6 ? try parseIPv6(addressText) : try parseIPv4(addressText)
        } catch {
            throw fail(error.text)
        }

        let width = bytes.count * 8
        var prefixLength = width
        if parts.count == 2 {
            let prefixText = parts[1]
            guard !prefixText.isEmpty else { throw fail("the prefix length after '/' is missing") }
            guard prefixText.count <= 3, prefixText.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(prefixText)
            else {
                throw fail("prefix '/\(prefixText)' is not a number from 1 to \(width)")
            }
            guard (1...width).contains(value) else {
                throw fail(
                    "prefix /\(value) is outside 1...\(width) for an \(family == .ipv4 ? "IPv4" : "IPv6") address")
            }
            prefixLength = value
        }

        if bytes.allSatisfy({ $0 == 0 }) {
            throw fail("the unspecified address cannot be a service address")
        }
        if (family == .ipv4 && bytes[0] >= 224 && bytes[0] <= 239) || (family == .ipv6 && bytes[0] == 0xff) {
            throw fail("a multicast address cannot be a service address")
        }
        return ServiceAddress(family: family, bytes: bytes, prefixLength: prefixLength)
    }

    /// Why an address part is malformed, before it is put into a sentence with the whole text.
    struct Reason: Error {
        var text: String
        init(_ text: String) { self.text = text }
    }

    /// Dotted decimal, exactly four parts of 0...255 without leading zeros (which some tools read as octal).
    static func parseIPv4(_ text: Substring) throws(Reason) -> [UInt8] {
        if text.contains(where: { $0.isLetter }) {
            throw Reason("'\(text)' looks like a host name; write the IP address itself, which is what moves")
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else {
            throw Reason(
                "'\(text)' has \(parts.count) part\(parts.count == 1 ? "" : "s") separated by '.', an IPv4 address has 4"
            )
        }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty else { throw Reason("'\(text)' has an empty part between dots") }
            guard part.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw Reason("'\(part)' is not a decimal number from 0 to 255")
            }
            guard part.count == 1 || part.first != "0" else {
                throw Reason("'\(part)' has a leading zero; write it without")
            }
            guard part.count <= 3, let value = Int(part), value <= 255 else {
                throw Reason("\(part) is more than 255")
            }
            bytes.append(UInt8(value))
        }
        return bytes
    }

    /// RFC 4291 text: up to eight groups of 1...4 hex digits, one "::" for a run of zero groups, and an
    /// optional dotted IPv4 address as the last 32 bits.
    static func parseIPv6(_ text: Substring) throws(Reason) -> [UInt8] {
        // Split at "::" by hand: the pure core does not import Foundation for components(separatedBy:).
        var halves: [String] = []
        var current = ""
        var previousWasColon = false
        for character in text {
            if character == ":" && previousWasColon {
                current.removeLast()
                halves.append(current)
                current = ""
                previousWasColon = false
                continue
            }
            current.append(character)
            previousWasColon = character == ":"
        }
        halves.append(current)
        guard halves.count <= 2 else { throw Reason("'\(text)' uses '::' more than once") }

        // The bytes of colon-separated groups; only the last half may end in a dotted IPv4 address.
        func groups(_ piece: String, allowIPv4Tail: Bool) throws(Reason) -> [UInt8] {
            if piece.isEmpty { return [] }
            let fields = piece.split(separator: ":", omittingEmptySubsequences: false)
            var bytes: [UInt8] = []
            for (index, field) in fields.enumerated() {
                if field.isEmpty { throw Reason("'\(text)' has an empty group: a single ':' at an end, or ':::'") }
                if field.contains(".") {
                    guard allowIPv4Tail, index == fields.count - 1 else {
                        throw Reason("an embedded IPv4 address may only end '\(text)'")
                    }
                    bytes += try parseIPv4(field)
                    continue
                }
                guard field.count <= 4 else { throw Reason("group '\(field)' has more than 4 hex digits") }
                guard field.allSatisfy({ $0.isASCII && $0.isHexDigit }), let value = UInt16(field, radix: 16) else {
                    throw Reason("group '\(field)' is not hexadecimal")
                }
                bytes += [UInt8(value >> 8), UInt8(value & 0xff)]
            }
            return bytes
        }

        if halves.count == 1 {
            let bytes = try groups(halves[0], allowIPv4Tail: true)
            guard bytes.count == 16 else {
                throw Reason("'\(text)' has \(bytes.count / 2) groups; without '::' an IPv6 address needs 8")
            }
            return bytes
        }
        let head = try groups(halves[0], allowIPv4Tail: false)
        let tail = try groups(halves[1], allowIPv4Tail: true)
        // "::" stands for at least one zero group.
        guard head.count + tail.count <= 14 else {
            throw Reason("'\(text)' has 8 groups besides '::', which must stand for at least one")
        }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    static func canonicalIPv6(_ bytes: [UInt8]) -> String {
        let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        // ::ffff:a.b.c.d, as RFC 5952 section 5 recommends for IPv4-mapped addresses.
        if groups[0..<5].allSatisfy({ $0 == 0 }) && groups[5] == 0xffff {
            return "::ffff:" + bytes[12...].map(String.init).joined(separator: ".")
        }
        // The longest run of two or more zero groups becomes "::"; the first one on a tie.
        var bestStart = -1, bestLength = 1
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            let start = index
            while index < 8 && groups[index] == 0 { index += 1 }
            if index - start > bestLength {
                bestStart = start
                bestLength = index - start
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        let head = hex[..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}

/// A service address that cannot be parsed, with the reason in words a user can act on.
public struct ServiceAddressParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text as written in the configuration.
    public let text: String
    /// What is wrong with it: "300 is more than 255".
    public let reason: String
    /// The whole sentence: what was given, what is expected, and the reason.
    public let message: String

    public init(text: String, reason: String) {
        self.text = text
        self.reason = reason
        self.message = "\(String(reflecting: text)) is not an IPv4 or IPv6 address with an optional /prefix: \(reason)"
    }

    public var description: String { message }
}
