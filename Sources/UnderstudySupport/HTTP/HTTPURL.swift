/// An http:// or https:// URL as the HTTP client needs it. Parsed here rather than by Foundation's URL,
/// which accepts far more than a check or a webhook should (no scheme, spaces, user info) and says little
/// about what is wrong.
public struct HTTPURL: Sendable, Equatable, CustomStringConvertible {
    public enum Scheme: String, Sendable {
        case http, https

        var defaultPort: Int { self == .http ? 80 : 443 }
    }

    public var scheme: Scheme
    /// A host name, an IPv4 address, or an IPv6 address without brackets.
    public var host: String
    public var port: Int
    /// Path and query, never empty: "/" when the URL has no path. The fragment is dropped.
    public var target: String

    public init(scheme: Scheme, host: String, port: Int, target: String) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.target = target
    }

    /// True when `host` is an IP address, not a name: such a host is never sent as TLS SNI.
    public var hostIsIPAddress: Bool {
        host.contains(":") || (!host.isEmpty && host.allSatisfy { $0 == "." || ($0.isASCII && $0.isNumber) })
    }

    /// The Host header: the port only when it is not the scheme's default.
    public var hostHeader: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return port == scheme.defaultPort ? bracketed : "\(bracketed):\(port)"
    }

    /// The URL written back, as errors quote it: "http://10.77.1.100/".
    public var description: String {
        "\(scheme.rawValue)://\(hostHeader)\(target)"
    }

    public static func parse(_ text: String) throws(HTTPClientError) -> HTTPURL {
        func invalid(_ reason: String) -> HTTPClientError {
            HTTPClientError(code: .invalidURL, message: "invalid URL '\(text)': \(reason)")
        }
        if text.isEmpty { throw invalid("it is empty") }
        if text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7f || $0.value > 0x7e }) {
            throw invalid("it contains a space, a control character or a non-ASCII character (percent-encode it)")
        }
        guard let separator = text.range(of: "://") else {
            throw invalid("it has no scheme; write it like 'http://host/path' or 'https://host/path'")
        }
        let schemeText = text[..<separator.lowerBound].lowercased()
        guard let scheme = Scheme(rawValue: schemeText) else {
            throw invalid("scheme '\(schemeText)' is not http or https")
        }
        var rest = text[separator.upperBound...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if target.isEmpty {
            target = "/"
        } else if target.hasPrefix("?") {
            target = "/" + target
        }
        if authority.contains("@") {
            throw invalid("user information ('user@' or 'user:password@') is not supported")
        }
        let host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid("'[' is not closed by ']'") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("unexpected '\(after)' after ']'") }
                portText = after.dropFirst()
            }
            guard host.contains(":"), host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw invalid("'\(host)' in brackets is not an IPv6 address")
            }
        } else {
            if let colon = authority.firstIndex(of: ":") {
                host = authority[..<colon]
                portText = authority[authority.index(after: colon)...]
                if portText?.contains(":") == true {
                    throw invalid("an IPv6 address must be in brackets, like 'http://[::1]:8080/'")
                }
            } else {
                host = authority
            }
            let labels = host.split(separator: ".", omittingEmptySubsequences: false)
            let validCharacters = host.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_" }
            if !host.isEmpty && (!validCharacters || labels.contains(where: \.isEmpty)) {
                throw invalid("'\(host)' is not a valid host name or IPv4 address")
            }
        }
        if host.isEmpty { throw invalid("the host is missing") }
        var port = scheme.defaultPort
        if let portText {
            guard !portText.isEmpty, portText.allSatisfy(\.isNumber), let number = Int(portText),
                (1...65535).contains(number)
            else {
                throw invalid("port '\(portText)' is not a number from 1 to 65535")
            }
            port = number
        }
        return HTTPURL(scheme: scheme, host: String(host).lowercased(), port: port, target: target)
    }
}
