// Sends one mail per notification through the configured SMTP server.
//
// A new connection for every message: notifications are rare and must get through even when the relay
// restarted since the last one. The dialogue itself is `SMTPConversation` (pure); `SMTPClientHandler` runs
// it on a NIO channel and, for STARTTLS, puts NIOSSL in front of it mid-connection. The server's certificate
// is verified against `ca_file` or the system's roots, for the host name of `server` (SNI too) or, when
// `server` is an IP address, for that address.

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import UnderstudyCore
import UnderstudySupport

public struct SMTPMailer: NotificationChannel {
    public let configuration: EmailNotification
    /// The name given in EHLO.
    public let heloName: String
    /// For the whole session, connecting included.
    public let timeout: Double
    private let group: any EventLoopGroup

    public init(
        configuration: EmailNotification, eventLoopGroup: any EventLoopGroup,
        heloName: String = SMTPMailer.localHostName(), timeout: Double = 30
    ) {
        self.configuration = configuration
        self.group = eventLoopGroup
        self.heloName = heloName
        self.timeout = timeout
    }

    public var name: String { "email to \(configuration.to.joined(separator: ", ")) via \(configuration.server)" }

    public func deliver(_ message: NotificationMessage) async throws {
        try await send(
            MailMessage(
                from: configuration.from, to: configuration.to, subject: message.subject,
                body: message.text, date: message.event.time))
    }

    /// Sends `mail` to the configured recipients (the envelope: `from` and `to` of the settings).
    public func send(_ mail: MailMessage) async throws(SMTPError) {
        let server = configuration.server.description
        try checkAddresses()
        let credentials = try readCredentials()
        let tls = try configuration.security == .starttls ? tlsSettings() : nil
        let conversation = SMTPConversation(
            server: server, heloName: heloName, requireTLS: configuration.security == .starttls,
            credentials: credentials, from: configuration.from,
            recipients: configuration.to, content: mail.encoded())
        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: Void.self)
        let allowed = TimeAmount.nanoseconds(Int64(max(0, min(timeout, 86_400)) * 1e9))
        let deadline = NIODeadline.now() + allowed
        let timeout = self.timeout
        ClientBootstrap(group: eventLoop)
            .connectTimeout(allowed)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        SMTPClientHandler(
                            conversation: conversation, tls: tls, promise: promise, deadline: deadline, timeout: timeout
                        ))
                }
            }
            .connect(host: configuration.server.host, port: configuration.server.port)
            .whenComplete { result in
                switch result {
                case .failure(let error):
                    promise.fail(error)
                case .success(let channel):
                    promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
                }
            }
        do {
            try await promise.futureResult.get()
        } catch let error as SMTPError {
            throw error
        } catch {
            let failure = NetworkFailure(error)
            if failure.kind == .timedOut {
                throw SMTPError(
                    code: .timedOut,
                    message: "SMTP server \(server): no connection within \(DurationText.seconds(timeout))")
            }
            throw SMTPError(
                code: failure.kind == .tls ? .tls : .connectFailed, message: "SMTP server \(server): \(failure.text)")
        }
    }

    /// The system's host name, for EHLO. gethostname, not ProcessInfo.hostName, which may ask DNS.
    public static func localHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty || name.contains(where: { $0.isWhitespace }) ? "localhost" : name
    }

    /// Addresses go into command lines: a line break or an angle bracket would let them write commands.
    private func checkAddresses() throws(SMTPError) {
        guard !configuration.to.isEmpty else {
            throw SMTPError(code: .invalidConfiguration, message: "email notification has no recipient (to)")
        }
        for address in [configuration.from] + configuration.to {
            if address.isEmpty
                || address.contains(where: {
                    $0.isWhitespace || $0 == "<" || $0 == ">" || $0.asciiValue.map { $0 < 0x20 } == true
                })
            {
                throw SMTPError(
                    code: .invalidConfiguration,
                    message: "email address '\(address)' is empty or contains a space, a line break or '<>'")
            }
        }
    }

    /// The password is read at each message, so a changed password file needs no restart.
    private func readCredentials() throws(SMTPError) -> SMTPConversation.Credentials? {
        guard let username = configuration.username else { return nil }
        guard let path = configuration.passwordFile else {
            throw SMTPError(
                code: .invalidConfiguration,
                message: "email notification has username '\(username)' but no password_file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "it cannot be read" : "it does not exist"
            throw SMTPError(code: .invalidConfiguration, message: "cannot read password_file \(path): \(reason)")
        }
        var password = String(decoding: data, as: UTF8.self)
        // By scalars: "\r\n" is one Character, so hasSuffix("\n") would not see it.
        while let last = password.unicodeScalars.last, last == "\n" || last == "\r" {
            password.unicodeScalars.removeLast()
        }
        return SMTPConversation.Credentials(username: username, password: password)
    }

    private func tlsSettings() throws(SMTPError) -> SMTPClientHandler.TLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        do {
            if let caFile = self.configuration.caFile {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            }
            let context = try NIOSSLContext(configuration: configuration)
            let host = self.configuration.server.host
            let isAddress = host.contains(":") || host.allSatisfy { $0 == "." || $0.isNumber }
            return SMTPClientHandler.TLS(context: context, hostname: isAddress ? nil : host)
        } catch {
            let source = self.configuration.caFile.map { "ca_file \($0)" } ?? "the system's trust roots"
            throw SMTPError(
                code: .tls, message: "SMTP server \(self.configuration.server): cannot load \(source): \(error)")
        }
    }
}
