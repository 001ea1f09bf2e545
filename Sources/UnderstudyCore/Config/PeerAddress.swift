/// Where a node listens for its peers: a host name or IP address and a TCP port.
public struct PeerAddress: Sendable, Hashable, CustomStringConvertible {
    /// A host name, an IPv4 address, or an IPv6 address without brackets.
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// "host:port", with an IPv6 address in brackets: "[::1]:7700".
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// True for `localhost`, 127.0.0.0/8 and ::1: addresses that only reach this machine.
    public var isLoopback: Bool {
        let lowered = host.lowercased()
        return lowered == "localhost" || lowered.hasSuffix(".localhost") || lowered.hasPrefix("127.")
            || lowered == "::1" || lowered == "0:0:0:0:0:0:0:1"
    }

    /// A key equal for two addresses that certainly name the same machine: host names compare
    /// without case, and every loopback form is the same machine.
    public var machineKey: String {
        isLoopback ? "loopback" : host.lowercased()
    }

    /// Parses "host:port" or "[ipv6]:port".
    public static func parse(_ text: String) throws(PeerAddressError) -> PeerAddress {
        let host: Substring
        let portText: Substring
        if text.isEmpty {
            throw PeerAddressError(text: text, reason: "it is empty")
        }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw PeerAddressError(text: text, reason: "'[' is not closed by ']'")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw PeerAddressError(text: text, reason: "the port is missing after ']'")
            }
            portText = rest.dropFirst()
            if host.isEmpty { throw PeerAddressError(text: text, reason: "the host is empty") }
            guard host.contains(":"), host.allSatisfy(isIPv6Character) else {
                throw PeerAddressError(text: text, reason: "'\(host)' in brackets is not an IPv6 address")
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw PeerAddressError(text: text, reason: "the port is missing")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                throw PeerAddressError(text: text, reason: "an IPv6 address must be in brackets, like '[::1]:7700'")
            }
            if host.isEmpty { throw PeerAddressError(text: text, reason: "the host is empty") }
            guard host.allSatisfy(isHostNameCharacter),
                !host.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty)
            else {
                throw PeerAddressError(text: text, reason: "'\(host)' is not a valid host name or IPv4 address")
            }
        }
        guard !portText.isEmpty else {
            throw PeerAddressError(text: text, reason: "the port is missing")
        }
        guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(portText), (1...65535).contains(port)
        else {
            throw PeerAddressError(text: text, reason: "port '\(portText)' is not a number from 1 to 65535")
        }
        return PeerAddress(host: String(host), port: port)
    }

    private static func isHostNameCharacter(_ character: Character) -> Bool {
        character.isASCII
            && (character.isLetter || character.isNumber || character == "-" || character == "." || character == "_")
    }

    private static func isIPv6Character(_ character: Character) -> Bool {
        character.isASCII && (character.isHexDigit || character == ":" || character == ".")
    }
}

public struct PeerAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String

    public var description: String {
        "invalid address '\(text)': \(reason); write host:port, like 'alpha.example.com:7700' or '[::1]:7700'"
    }
}
