import Foundation
import NIOPosix
import Testing
import UnderstudyCore
import UnderstudyNode
import UnderstudyNotify

/// The mailer against a real SMTP server (aiosmtpd) on loopback.
@Suite(.timeLimit(.minutes(1)))
struct SMTPMailerTests {
    static let event = NotificationEvent(
        kind: .takeoverFinished, severity: .critical, node: "beta", group: "web",
        topic: "", summary: "beta took over group web (epoch 3) in 0.42 s",
        detail: "fence: exit 0 in 0.1 s\n.a line with a leading dot\n..and two\nend",
        time: 1_790_000_000)

    func mailer(
        _ port: Int, security: EmailNotification.Security = .none, caFile: String? = nil, username: String? = nil,
        passwordFile: String? = nil, to: [String] = ["ops@example.com"], timeout: Double = 10
    ) -> SMTPMailer {
        SMTPMailer(
            configuration: EmailNotification(
                server: PeerAddress(host: "127.0.0.1", port: port), security: security,
                caFile: caFile, username: username, passwordFile: passwordFile,
                from: "understudy@example.com", to: to),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, heloName: "beta.example.com", timeout: timeout)
    }

    @Test func deliversPlainMail_withHeaders_andDotStuffing() async throws {
        try await withSMTPSink { sink in
            try await mailer(sink.port, to: ["ops@example.com", "oncall@example.com"]).deliver(
                NotificationMessage(event: Self.event))
            let message = try #require(try sink.messages().first)
            #expect(message.mailFrom == "understudy@example.com")
            #expect(message.recipients == ["ops@example.com", "oncall@example.com"])
            #expect(!message.tls)
            let (head, body) = try split(message.content)
            #expect(head.contains("From: understudy@example.com"))
            #expect(head.contains("To: ops@example.com, oncall@example.com"))
            #expect(head.contains("Subject: [understudy] critical: beta took over group web (epoch 3) in 0.42 s"))
            #expect(head.contains("Date: " + MailMessage.rfc5322Date(Self.event.time)))
            #expect(head.contains { $0.hasPrefix("Message-ID: <understudy.") && $0.hasSuffix("@example.com>") })
            #expect(head.contains("Content-Type: text/plain; charset=UTF-8"))
            #expect(body.first == "beta took over group web (epoch 3) in 0.42 s")
            #expect(body.contains("group:    web"))
            #expect(body.suffix(4) == ["fence: exit 0 in 0.1 s", ".a line with a leading dot", "..and two", "end"])
        }
    }

    @Test func sendsMail_throughStartTLS_withPlainAuth() async throws {
        let certificate = try await SelfSignedCertificate.make()
        defer { certificate.remove() }
        let passwordFile = try writePasswordFile("s3cret pass\n")
        defer { try? FileManager.default.removeItem(atPath: passwordFile) }
        let options = SMTPSink.Options(certificate: certificate, user: "alice", password: "s3cret pass")
        try await withSMTPSink(options) { sink in
            let mail = MailMessage(
                from: "understudy@example.com", to: ["ops@example.com"], subject: "Störung: ünïcode",
                body: "Grüße\n", date: 1_790_000_000)
            try await mailer(
                sink.port, security: .starttls, caFile: certificate.certificatePath, username: "alice",
                passwordFile: passwordFile
            ).send(mail)
            let message = try #require(try sink.messages().first)
            #expect(message.tls)
            #expect(message.login == "alice")
            #expect(message.mailOptions.contains("BODY=8BITMIME"))
            #expect(message.content.contains("Subject: =?UTF-8?B?"))
            #expect(message.content.contains("\r\n\r\nGrüße\r\n"))
        }
    }

    @Test func sendsMail_throughStartTLS_withLogin() async throws {
        let certificate = try await SelfSignedCertificate.make()
        defer { certificate.remove() }
        let passwordFile = try writePasswordFile("hunter2\r\n")
        defer { try? FileManager.default.removeItem(atPath: passwordFile) }
        let options = SMTPSink.Options(certificate: certificate, user: "bob", password: "hunter2", onlyLogin: true)
        try await withSMTPSink(options) { sink in
            try await mailer(
                sink.port, security: .starttls, caFile: certificate.certificatePath, username: "bob",
                passwordFile: passwordFile
            ).deliver(NotificationMessage(event: Self.event))
            let message = try #require(try sink.messages().first)
            #expect(message.tls)
            #expect(message.login == "bob")
        }
    }

    @Test func failsClearly_onWrongPassword() async throws {
        let certificate = try await SelfSignedCertificate.make()
        defer { certificate.remove() }
        let passwordFile = try writePasswordFile("wrong\n")
        defer { try? FileManager.default.removeItem(atPath: passwordFile) }
        let options = SMTPSink.Options(certificate: certificate, user: "alice", password: "right")
        try await withSMTPSink(options) { sink in
            let error = await #expect(throws: SMTPError.self) {
                try await mailer(
                    sink.port, security: .starttls, caFile: certificate.certificatePath, username: "alice",
                    passwordFile: passwordFile
                ).send(Self.mail)
            }
            #expect(error?.code == .authenticationFailed)
            #expect(
                error?.message.hasPrefix("SMTP server 127.0.0.1:\(sink.port) refused AUTH PLAIN (user alice): 535")
                    == true,
                "\(error?.message ?? "")")
            #expect(error?.message.contains("wrong") == false)
            let stored = try sink.messages()
            #expect(stored.isEmpty)
        }
    }

    @Test func failsClearly_whenCertificateIsNotTrusted() async throws {
        let certificate = try await SelfSignedCertificate.make()
        defer { certificate.remove() }
        try await withSMTPSink(SMTPSink.Options(certificate: certificate)) { sink in
            let error = await #expect(throws: SMTPError.self) {
                try await mailer(sink.port, security: .starttls).send(Self.mail)
            }
            #expect(error?.code == .tls)
            #expect(
                error?.message.hasPrefix("SMTP server 127.0.0.1:\(sink.port): TLS: certificate not trusted") == true,
                "\(error?.message ?? "")")
        }
    }

    @Test func failsClearly_whenStartTLSIsRequired_butNotOffered() async throws {
        try await withSMTPSink { sink in
            let error = await #expect(throws: SMTPError.self) {
                try await mailer(sink.port, security: .starttls).send(Self.mail)
            }
            #expect(error?.code == .notSupported)
            #expect(
                error?.message
                    == "SMTP server 127.0.0.1:\(sink.port) does not offer STARTTLS, which the settings require (security = \"starttls\")"
            )
        }
    }

    @Test func failsClearly_whenServerRefusesRecipient() async throws {
        try await withSMTPSink(SMTPSink.Options(refuse: ["nobody@example.com"])) { sink in
            let error = await #expect(throws: SMTPError.self) {
                try await mailer(sink.port, to: ["ops@example.com", "nobody@example.com"]).send(Self.mail)
            }
            #expect(error?.code == .rejected)
            #expect(
                error?.message == "SMTP server 127.0.0.1:\(sink.port) refused RCPT TO:<nobody@example.com>: "
                    + "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown")
            let stored = try sink.messages()
            #expect(stored.isEmpty)
        }
    }

    @Test func failsAtOnce_whenNothingListens() async throws {
        let reserved = try ReservedPort()
        defer { reserved.release() }
        let error = await #expect(throws: SMTPError.self) { try await mailer(reserved.port).send(Self.mail) }
        #expect(error?.code == .connectFailed)
        #expect(error?.message == "SMTP server 127.0.0.1:\(reserved.port): connection refused")
    }

    @Test func failsWithinTimeout_whenServerNeverGreets() async throws {
        try await withLoopbackHTTPServer(.silent) { server in
            let started = ContinuousClock.now
            let error = await #expect(throws: SMTPError.self) {
                try await mailer(server.port, timeout: 0.5).send(Self.mail)
            }
            // Well under the never of a server that does not greet; a busy CI machine took 3.1 s.
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(error?.code == .timedOut)
            #expect(
                error?.message
                    == "SMTP server 127.0.0.1:\(server.port) did not answer within 0.5 s (waiting for the greeting)")
        }
    }

    @Test func failsClearly_whenPasswordFileIsMissing() async throws {
        let error = await #expect(throws: SMTPError.self) {
            try await mailer(25, username: "alice", passwordFile: "/nonexistent/password").send(Self.mail)
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message == "cannot read password_file /nonexistent/password: it does not exist")
    }

    static let mail = MailMessage(
        from: "understudy@example.com", to: ["ops@example.com"], subject: "test", body: "hello\n",
        date: 1_790_000_000)

    /// The header lines (continuations unfolded) and the body lines of a received message.
    func split(_ content: String) throws -> (head: [String], body: [String]) {
        let parts = content.components(separatedBy: "\r\n\r\n")
        let head = try #require(parts.first).replacingOccurrences(of: "\r\n ", with: " ").components(
            separatedBy: "\r\n")
        var body = parts.dropFirst().joined(separator: "\r\n\r\n").components(separatedBy: "\r\n")
        if body.last == "" { body.removeLast() }
        return (head, body)
    }

    func writePasswordFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "understudy-password-" + UUID().uuidString
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
