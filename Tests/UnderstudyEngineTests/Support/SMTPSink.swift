#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A real SMTP server (smtp_sink.py: aiosmtpd, from Debian's python3-aiosmtpd that scripts/setup installs)
/// on 127.0.0.1, storing what it receives in a directory of its own. It also ends by itself when the test
/// process goes, as it runs until its standard input closes.
final class SMTPSink: @unchecked Sendable {
    struct Options {
        /// STARTTLS with this certificate, and required.
        var certificate: SelfSignedCertificate?
        /// AUTH required, accepting only this user and password.
        var user: String?
        var password: String?
        /// Offer AUTH LOGIN only.
        var onlyLogin = false
        /// Recipients answered with 550.
        var refuse: [String] = []
    }

    struct Message {
        /// The message as received (dot-stuffing undone), CRLF line ends.
        let content: String
        let mailFrom: String
        let recipients: [String]
        let mailOptions: [String]
        let tls: Bool
        let login: String?
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let python = "/usr/bin/python3"
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "smtp_sink.py"
    ).path

    let directory: String
    private(set) var port = 0
    private let process = Process()
    private let input = Pipe()

    private init(directory: String) {
        self.directory = directory
    }

    static func start(_ options: Options = Options()) async throws -> SMTPSink {
        let sink = SMTPSink(directory: try temporaryDirectory())
        var arguments = [script, sink.directory]
        if let certificate = options.certificate {
            arguments += ["--tls", certificate.certificatePath, certificate.keyPath]
        }
        if let user = options.user { arguments += ["--user", user, "--password", options.password ?? ""] }
        if options.onlyLogin { arguments.append("--only-login") }
        for address in options.refuse { arguments += ["--refuse", address] }
        sink.process.executableURL = URL(fileURLWithPath: python)
        sink.process.arguments = arguments
        sink.process.standardInput = sink.input
        let log = sink.directory + "/sink.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        sink.process.standardOutput = logHandle
        sink.process.standardError = logHandle
        try sink.process.run()
        try? logHandle.close()

        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: sink.directory + "/port", encoding: .utf8), let port = Int(text) {
                sink.port = port
                return sink
            }
            if !sink.process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        sink.stop()
        throw Failure(
            description: "the SMTP sink did not start (is python3-aiosmtpd installed? run scripts/setup): \(output)")
    }

    /// Ends the server: its standard input closes, then SIGTERM, then SIGKILL, each with a bounded wait.
    func stop() {
        try? input.fileHandleForWriting.close()
        if !waitForExit(seconds: 3) {
            process.terminate()
            if !waitForExit(seconds: 3) {
                kill(process.processIdentifier, SIGKILL)
                _ = waitForExit(seconds: 3)
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func waitForExit(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return !process.isRunning
    }

    /// The messages received so far, in order.
    func messages() throws -> [Message] {
        var messages: [Message] = []
        var number = 1
        while let content = try? String(contentsOfFile: "\(directory)/\(number).eml", encoding: .utf8) {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(number).json"))
            let facts = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
            messages.append(
                Message(
                    content: content, mailFrom: facts["mail_from"] as? String ?? "",
                    recipients: facts["rcpt_tos"] as? [String] ?? [],
                    mailOptions: facts["mail_options"] as? [String] ?? [],
                    tls: facts["tls"] as? Bool ?? false, login: facts["login"] as? String))
            number += 1
        }
        return messages
    }
}

/// Runs `body` with a started sink and stops it afterwards, also when `body` throws.
func withSMTPSink<T>(
    _ options: SMTPSink.Options = SMTPSink.Options(), _ body: (SMTPSink) async throws -> T
) async throws -> T {
    let sink = try await SMTPSink.start(options)
    do {
        let result = try await body(sink)
        sink.stop()
        return result
    } catch {
        sink.stop()
        throw error
    }
}
