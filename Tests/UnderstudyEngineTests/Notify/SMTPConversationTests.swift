import Foundation
import Testing
import UnderstudyNode
import UnderstudyNotify

/// The SMTP dialogue without a server: replies in, actions out.
struct SMTPConversationTests {
    func conversation(tls: Bool = false, user: String? = nil) -> SMTPConversation {
        SMTPConversation(
            server: "10.77.1.25:25", heloName: "beta.example.com", requireTLS: tls,
            credentials: user.map { SMTPConversation.Credentials(username: $0, password: "pw") },
            from: "u@example.com", recipients: ["a@example.com", "b@example.com"], content: Array("x\r\n.\r\n".utf8))
    }

    func reply(_ code: Int, _ lines: String...) -> SMTPReply { SMTPReply(code: code, lines: lines) }

    @Test func walksPlainDialogue_toDelivery() {
        var smtp = conversation()
        #expect(smtp.receive(reply(220, "relay ESMTP")) == .send("EHLO beta.example.com"))
        #expect(smtp.receive(reply(250, "relay", "8BITMIME", "SIZE 1000")) == .send("MAIL FROM:<u@example.com>"))
        #expect(smtp.receive(reply(250, "OK")) == .send("RCPT TO:<a@example.com>"))
        #expect(smtp.receive(reply(250, "OK")) == .send("RCPT TO:<b@example.com>"))
        #expect(smtp.receive(reply(251, "will forward")) == .send("DATA"))
        #expect(smtp.receive(reply(354, "go ahead")) == .sendMessage(Array("x\r\n.\r\n".utf8)))
        #expect(smtp.waitingFor == "the reply to the message")
        #expect(smtp.receive(reply(250, "queued")) == .delivered)
    }

    @Test func startsTLS_thenSaysEHLOAgain_thenAuthenticates() {
        var smtp = conversation(tls: true, user: "alice")
        _ = smtp.receive(reply(220, "hi"))
        #expect(smtp.receive(reply(250, "relay", "STARTTLS")) == .send("STARTTLS"))
        #expect(smtp.receive(reply(220, "ready")) == .startTLS)
        #expect(smtp.waitingFor == "the TLS handshake")
        #expect(smtp.tlsEstablished() == .send("EHLO beta.example.com"))
        let token = Data("\0alice\0pw".utf8).base64EncodedString()
        #expect(smtp.receive(reply(250, "relay", "AUTH LOGIN PLAIN")) == .send("AUTH PLAIN \(token)"))
        #expect(smtp.receive(reply(235, "ok")) == .send("MAIL FROM:<u@example.com>"))
    }

    @Test func answersLoginPrompts_whenOnlyLoginIsOffered() {
        var smtp = conversation(user: "alice")
        _ = smtp.receive(reply(220, "hi"))
        #expect(smtp.receive(reply(250, "relay", "AUTH LOGIN")) == .send("AUTH LOGIN"))
        #expect(smtp.receive(reply(334, "VXNlcm5hbWU6")) == .send(Data("alice".utf8).base64EncodedString()))
        #expect(smtp.receive(reply(334, "UGFzc3dvcmQ6")) == .send(Data("pw".utf8).base64EncodedString()))
        #expect(
            smtp.receive(reply(535, "5.7.8 bad"))
                == .fail(
                    SMTPError(
                        code: .authenticationFailed,
                        message: "SMTP server 10.77.1.25:25 refused AUTH LOGIN (user alice): 535 5.7.8 bad")))
    }

    @Test func failsClearly_whenServerLacksWhatSettingsNeed() {
        var tls = conversation(tls: true)
        _ = tls.receive(reply(220, "hi"))
        #expect(
            tls.receive(reply(250, "relay"))
                == .fail(
                    SMTPError(
                        code: .notSupported,
                        message:
                            "SMTP server 10.77.1.25:25 does not offer STARTTLS, which the settings require (security = \"starttls\")"
                    )))
        var auth = conversation(user: "alice")
        _ = auth.receive(reply(220, "hi"))
        #expect(
            auth.receive(reply(250, "relay", "AUTH CRAM-MD5"))
                == .fail(
                    SMTPError(
                        code: .notSupported,
                        message:
                            "SMTP server 10.77.1.25:25 offers only AUTH CRAM-MD5 before TLS (set security = \"starttls\"); "
                            + "a user name is set, so AUTH PLAIN or LOGIN is needed")))
    }

    @Test func failsClearly_onBadGreeting_andRefusals() {
        var greeting = conversation()
        #expect(
            greeting.receive(reply(554, "no service"))
                == .fail(
                    SMTPError(
                        code: .rejected,
                        message: "SMTP server 10.77.1.25:25 greeted with 554 no service instead of 220")))
        var sender = conversation()
        _ = sender.receive(reply(220, "hi"))
        _ = sender.receive(reply(250, "relay"))
        #expect(
            sender.receive(reply(553, "5.7.1 sender rejected"))
                == .fail(
                    SMTPError(
                        code: .rejected,
                        message:
                            "SMTP server 10.77.1.25:25 refused MAIL FROM:<u@example.com>: 553 5.7.1 sender rejected")))
    }
}
