/// A request of the HTTP client that did not get a response: the message names the method and the URL and
/// says what happened, as the log and the check's status show it.
public struct HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The URL cannot be used (see the message); nothing was sent.
        case invalidURL
        /// No complete response within the timeout, connecting included.
        case timedOut
        case connectionRefused
        /// No route to the host or its network.
        case hostUnreachable
        /// The host name does not resolve.
        case hostNotFound
        /// The TLS handshake failed: an untrusted certificate, no common protocol, or an unreadable CA file.
        case tls
        /// The server closed the connection before the response was complete.
        case connectionClosed
        /// The server's answer is not HTTP/1.x.
        case invalidResponse
        case other
    }

    public let code: Code
    /// "GET http://10.77.1.100/ timed out after 0.3 s", "GET http://127.0.0.1:9/: connection refused".
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
