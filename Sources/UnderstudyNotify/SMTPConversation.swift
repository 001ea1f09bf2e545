import Foundation
import UnderstudyCore

/// The client's side of one SMTP session as a value: it takes each reply of the server and says what to do
/// next. Knows no sockets (the mailer performs the actions), so every turn of the dialogue and every error
/// text can be tested without a server.
///
/// greeting → EHLO → [STARTTLS → TLS → EHLO] → [AUTH PLAIN | AUTH LOGIN] → MAIL FROM → RCPT TO … → DATA
/// → message → delivered (the mailer sends QUIT without waiting for its answer).
public struct SMTPConversation: Sendable {
    public struct Credentials: Sendable, Equatable {
        public var username: String
        public var password: String

        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }
    }

    public enum Action: Sendable, Equatable {
        /// Send this command line (without CRLF).
        case send(String)
        /// Send the message content: dot-stuffed, CRLF line ends, ending with ".\r\n".
        case sendMessage([UInt8])
        /// Start TLS on the connection now, then call `tlsEstablished()`.
        case startTLS
        /// The server took the message; say QUIT and close.
        case delivered
        case fail(SMTPError)
    }

    private enum Stage: Sendable, Equatable {
        case greeting, ehlo, startTLS, tlsHandshake, authPlain, authLogin, authLoginUser, authLoginPassword
        case mailFrom, recipient(Int), data, message, done
    }

    /// "10.77.1.25:25", as errors name the server.
    public let server: String
    private let heloName: String
    private let requireTLS: Bool
    private let credentials: Credentials?
    private let from: String
    private let recipients: [String]
    private let content: [UInt8]
    private var stage = Stage.greeting
    private var tlsActive = false
    /// What was sent last, as an error quotes it (never a password).
    private var lastCommand = "the greeting"
    private var extensions: [String: [String]] = [:]

    /// `content` is the encoded message (`MailMessage.encoded()`), ending with ".\r\n".
    public init(
        server: String, heloName: String, requireTLS: Bool, credentials: Credentials?, from: String,
        recipients: [String], content: [UInt8]
    ) {
        self.server = server
        self.heloName = heloName
        self.requireTLS = requireTLS
        self.credentials = credentials
        self.from = from
        self.recipients = recipients
        self.content = content
    }

    /// What the client waits for, for a timeout or an early close: "the reply to RCPT TO:<ops@example.com>".
    public var waitingFor: String {
        switch stage {
        case .greeting: "the greeting"
        case .tlsHandshake: "the TLS handshake"
        case .done: "nothing"
        default: "the reply to \(lastCommand)"
        }
    }

    public mutating func receive(_ reply: SMTPReply) -> Action {
        switch stage {
        case .greeting:
            guard reply.code == 220 else { return fail(.rejected, "greeted with \(reply) instead of 220") }
            return ehlo()
        case .ehlo:
            guard reply.code == 250 else { return refused(reply) }
            extensions = Self.extensions(of: reply)
            return afterEHLO()
        case .startTLS:
            guard reply.code == 220 else { return refused(reply, code: .tls) }
            stage = .tlsHandshake
            return .startTLS
        case .authPlain, .authLoginPassword:
            if reply.code == 235 { return mailFrom() }
            return refused(reply, code: reply.code == 535 || reply.code == 534 ? .authenticationFailed : .rejected)
        case .authLogin, .authLoginUser:
            // 334: the server asks for the user name, then for the password.
            guard reply.code == 334, let credentials else { return refused(reply, code: .authenticationFailed) }
            let secret = stage == .authLogin ? credentials.username : credentials.password
            stage = stage == .authLogin ? .authLoginUser : .authLoginPassword
            return .send(Data(secret.utf8).base64EncodedString())
        case .mailFrom:
            guard reply.code == 250 else { return refused(reply) }
            return recipient(0)
        case .recipient(let index):
            guard reply.code == 250 || reply.code == 251 else { return refused(reply) }
            return index + 1 < recipients.count ? recipient(index + 1) : send("DATA", stage: .data)
        case .data:
            guard reply.code == 354 else { return refused(reply) }
            stage = .message
            lastCommand = "the message"
            return .sendMessage(content)
        case .message:
            guard reply.code == 250 else { return refused(reply) }
            stage = .done
            return .delivered
        case .tlsHandshake, .done:
            return fail(.protocolError, "sent \(reply) unasked")
        }
    }

    /// The TLS handshake after STARTTLS is done: start over with EHLO, as RFC 3207 requires.
    public mutating func tlsEstablished() -> Action {
        guard stage == .tlsHandshake else { return fail(.protocolError, "TLS started unasked") }
        tlsActive = true
        extensions = [:]
        return ehlo()
    }

    private mutating func ehlo() -> Action {
        send("EHLO \(heloName)", stage: .ehlo)
    }

    private mutating func afterEHLO() -> Action {
        if requireTLS && !tlsActive {
            guard extensions["STARTTLS"] != nil else {
                return fail(
                    .notSupported, "does not offer STARTTLS, which the settings require (security = \"starttls\")")
            }
            return send("STARTTLS", stage: .startTLS)
        }
        guard let credentials else { return mailFrom() }
        let mechanisms = Set((extensions["AUTH"] ?? []).map { $0.uppercased() })
        if mechanisms.contains("PLAIN") {
            let token = Data(([0] + Array(credentials.username.utf8) + [0] + Array(credentials.password.utf8)))
                .base64EncodedString()
            let action = send("AUTH PLAIN \(token)", stage: .authPlain)
            lastCommand = "AUTH PLAIN (user \(credentials.username))"
            return action
        }
        if mechanisms.contains("LOGIN") {
            let action = send("AUTH LOGIN", stage: .authLogin)
            lastCommand = "AUTH LOGIN (user \(credentials.username))"
            return action
        }
        let offered = mechanisms.isEmpty ? "no AUTH at all" : "only AUTH \(mechanisms.sorted().joined(separator: " "))"
        let hint = tlsActive ? "" : " before TLS (set security = \"starttls\")"
        return fail(.notSupported, "offers \(offered)\(hint); a user name is set, so AUTH PLAIN or LOGIN is needed")
    }

    private mutating func mailFrom() -> Action {
        let eightBit = content.contains { $0 >= 0x80 } && extensions["8BITMIME"] != nil
        return send("MAIL FROM:<\(from)>" + (eightBit ? " BODY=8BITMIME" : ""), stage: .mailFrom)
    }

    private mutating func recipient(_ index: Int) -> Action {
        send("RCPT TO:<\(recipients[index])>", stage: .recipient(index))
    }

    private mutating func send(_ command: String, stage: Stage) -> Action {
        self.stage = stage
        lastCommand = command
        return .send(command)
    }

    private mutating func refused(_ reply: SMTPReply, code: SMTPError.Code = .rejected) -> Action {
        fail(code, "refused \(lastCommand): \(reply)")
    }

    private mutating func fail(_ code: SMTPError.Code, _ text: String) -> Action {
        stage = .done
        return .fail(SMTPError(code: code, message: "SMTP server \(server) \(text)"))
    }

    /// The EHLO keywords (upper-cased) with their parameters; the first line is the greeting, not a keyword.
    private static func extensions(of reply: SMTPReply) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for line in reply.lines.dropFirst() {
            let words = line.split(separator: " ").map(String.init)
            guard let keyword = words.first?.uppercased() else { continue }
            result[keyword, default: []] += words.dropFirst()
        }
        return result
    }
}
