import Foundation
import NIOPosix
import Testing
import UnderstudyCore
@testable import UnderstudyHealth

/// The `smtp` check against a real SMTP server (aiosmtpd, scripts/setup installs it): greeting and EHLO; with
/// `mail_to`, the recipient on a live node (no message left behind) and a test delivery in a proof; a refused
/// recipient, a closed port and a server that never answers fail it with what happened.
@Suite(.serialized)
struct SMTPCheckTests {
    // Generous: the suite runs many tests at once on two cores, and the sink is Python.
    func probe(_ port: Int, mailTo: String?, inProof: Bool = false, timeout: Double = 30) -> CheckProbe {
        CheckProbe(
            check: CheckConfiguration(
                name: "smtp", probe: .smtp(PeerAddress(host: "127.0.0.1", port: port), mailTo: mailTo),
                timeout: ConfigDuration(seconds: timeout)),
            group: MultiThreadedEventLoopGroup.singleton, inProof: inProof)
    }

    @Test func aLiveCheck_takesTheRecipientWithoutSendingMail_andAProofDeliversItsTestMessage() async throws {
        try await withSMTPSink(SMTPSink.Options(refuse: ["nobody@localhost"])) { sink in
            let greeting = await probe(sink.port, mailTo: nil).run()
            #expect(greeting.passed && greeting.message.contains("EHLO 250"), "\(greeting.message)")
            let live = await probe(sink.port, mailTo: "postmaster@localhost").run()
            #expect(live.passed && live.message.contains("took the recipient"), "\(live.message)")
            #expect(try sink.messages().isEmpty, "a live check left a message")

            let proof = await probe(sink.port, mailTo: "postmaster@localhost", inProof: true).run()
            #expect(proof.passed && proof.message.contains("took a test message"), "\(proof.message)")
            let messages = try sink.messages()
            #expect(messages.count == 1 && messages.first?.recipients == ["postmaster@localhost"])
            #expect(
                ["", "<>"].contains(messages.first?.mailFrom ?? "x")
                    && messages.first?.content.contains("Subject: understudy check") == true)

            let refused = await probe(sink.port, mailTo: "nobody@localhost").run()
            #expect(!refused.passed, "\(refused.message)")
            #expect(
                refused.message.contains("RCPT TO:<nobody@localhost>: the server answered 550"), "\(refused.message)")
        }
    }

    @Test func aClosedPort_andASilentServer_failTheCheck_sayingSo() async throws {
        let closed = try ReservedPort(listening: false)
        let refused = await probe(closed.port, mailTo: nil).run()
        #expect(!refused.passed && refused.message.contains("cannot talk SMTP"), "\(refused.message)")

        // Listens, never greets.
        let silent = try ReservedPort(listening: true)
        let started = ContinuousClock.now
        let quiet = await probe(silent.port, mailTo: nil, timeout: 0.5).run()
        #expect(!quiet.passed && quiet.message.contains("no SMTP answer within 0.5 s"), "\(quiet.message)")
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}
