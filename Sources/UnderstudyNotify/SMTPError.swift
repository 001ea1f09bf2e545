/// A mail that was not sent: the message names the server and says what it answered, or what else went
/// wrong ("SMTP server 10.77.1.25:25 refused RCPT TO:<x@y>: 550 5.1.1 no such user").
public struct SMTPError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The settings cannot be used as they are (an unreadable password file, an address with a line break).
        case invalidConfiguration
        /// No connection: refused, no route, unknown host.
        case connectFailed
        /// The server did not answer in time (connecting included).
        case timedOut
        /// STARTTLS failed: an untrusted certificate or a failed handshake.
        case tls
        /// The server lacks what the settings require (STARTTLS, AUTH PLAIN or LOGIN).
        case notSupported
        /// The server refused the user name or password.
        case authenticationFailed
        /// The server refused a command with an error reply.
        case rejected
        /// The server's answer is not SMTP.
        case protocolError
        /// The server closed the connection before the message was taken.
        case connectionClosed
    }

    public let code: Code
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
