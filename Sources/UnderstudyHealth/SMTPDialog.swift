import NIOCore
import NIOPosix
import UnderstudyCore

/// A check's conversation with a mail server (`type = "smtp"`): the greeting (220), EHLO (250), and with `mail_to`
/// a test message from the null sender: MAIL FROM:<> and RCPT TO answered 250; then, when `deliver` (in a proof),
/// DATA and the message, answered 250 at its end (the server took it for delivery), else RSET. Then QUIT. Each step's reply code is checked; the first that is not the
/// expected one fails the check with the server's reply.
struct SMTPDialog {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let address: PeerAddress
    let mailTo: String?
    let deliver: Bool
    let group: any EventLoopGroup

    /// The whole dialogue; a short summary of what passed.
    func run() async throws -> String {
        let channel = try await ClientBootstrap(group: group).connect(host: address.host, port: address.port) {
            channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        return try await channel.executeThenClose { inbound, outbound in
            var replies = ReplyReader(iterator: inbound.makeAsyncIterator())
            func expect(_ code: Int, after step: String) async throws -> String {
                let (answered, text) = try await replies.next()
                guard answered == code else {
                    throw Failure(description: "\(step): the server answered \(answered) \(text.prefix(200))")
                }
                return text
            }
            func send(_ line: String) async throws {
                try await outbound.write(ByteBuffer(string: line + "\r\n"))
            }
            let greeting = try await expect(220, after: "greeting")
            try await send("EHLO understudy-check")
            _ = try await expect(250, after: "EHLO")
            guard let mailTo else {
                try? await send("QUIT")
                return "SMTP 220 \(greeting.prefix(60)), EHLO 250"
            }
            try await send("MAIL FROM:<>")
            _ = try await expect(250, after: "MAIL FROM:<>")
            try await send("RCPT TO:<\(mailTo)>")
            _ = try await expect(250, after: "RCPT TO:<\(mailTo)>")
            guard deliver else {
                try await send("RSET")
                _ = try await expect(250, after: "RSET")
                try? await send("QUIT")
                return "SMTP took the recipient \(mailTo)"
            }
            try await send("DATA")
            _ = try await expect(354, after: "DATA")
            try await send(
                "From: understudy check <>\r\nTo: <\(mailTo)>\r\nSubject: understudy check\r\n\r\nA test delivery of understudy's check.\r\n."
            )
            let queued = try await expect(250, after: "the message")
            try? await send("QUIT")
            return "SMTP took a test message for \(mailTo): 250 \(queued.prefix(80))"
        }
    }

    /// Reads SMTP replies: lines "250-…" go on, "250 …" ends one (RFC 5321 4.2).
    struct ReplyReader {
        var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        var pending: [UInt8] = []
        static let longest = 64 * 1024

        mutating func next() async throws -> (code: Int, text: String) {
            var lines: [String] = []
            while true {
                let line = try await nextLine()
                let bytes = Array(line.utf8)
                guard bytes.count >= 3, let code = Int(String(line.prefix(3))), (200...599).contains(code) else {
                    throw Failure(description: "the server's reply \"\(line.prefix(100))\" is not SMTP")
                }
                lines.append(String(line.dropFirst(4)))
                if bytes.count == 3 || bytes[3] == UInt8(ascii: " ") {
                    return (code, lines.joined(separator: " "))
                }
            }
        }

        private mutating func nextLine() async throws -> String {
            while true {
                if let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    var line = Array(pending[..<end])
                    pending.removeFirst(end + 1)
                    if line.last == UInt8(ascii: "\r") { line.removeLast() }
                    return String(decoding: line, as: UTF8.self)
                }
                guard pending.count < Self.longest else {
                    throw Failure(description: "the server sent a line longer than \(Self.longest) bytes")
                }
                guard let buffer = try await iterator.next() else {
                    throw Failure(description: "the server closed the connection")
                }
                pending += buffer.readableBytesView
            }
        }
    }
}
