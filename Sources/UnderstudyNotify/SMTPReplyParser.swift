/// One reply of an SMTP server: a three-digit code and its text lines ("250-alpha" … "250 SIZE").
public struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// 2xx and 3xx: the command was taken (3xx: go on).
    public var isPositive: Bool { code >= 200 && code < 400 }

    /// "550 5.1.1 <x@y>: Recipient address rejected", lines joined with spaces, as errors quote it.
    public var description: String {
        let text = lines.joined(separator: " ")
        return text.allSatisfy({ $0 == " " }) ? String(code) : "\(code) \(text)"
    }
}

/// Splits the bytes a server sends into replies (RFC 5321 §4.2: "ddd-" continues a reply, "ddd " or
/// "ddd" ends it). Pure, fed with whatever the socket delivered; bounded so a hostile server cannot
/// make it hold more than a few hundred KiB.
public struct SMTPReplyParser: Sendable {
    public static let maximumLineLength = 4096
    public static let maximumLines = 100

    private var buffer: [UInt8] = []
    private var pending: (code: Int, lines: [String])?

    public init() {}

    /// True when no partial line or reply is held: what STARTTLS needs, as bytes that arrived before the
    /// handshake must not be taken for bytes that came through TLS.
    public var isEmpty: Bool { buffer.isEmpty && pending == nil }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete reply, nil when more bytes are needed; throws on a malformed reply.
    public mutating func next() throws(SMTPReplyParserError) -> SMTPReply? {
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            var line = buffer[..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            let text = String(decoding: line, as: UTF8.self)
            buffer.removeSubrange(...newline)
            guard line.count >= 3, line.prefix(3).allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let code = Int(String(decoding: line.prefix(3), as: UTF8.self)), (100...599).contains(code)
            else {
                throw SMTPReplyParserError(line: text)
            }
            let separator = line.count > 3 ? line[line.startIndex + 3] : UInt8(ascii: " ")
            guard separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-") else {
                throw SMTPReplyParserError(line: text)
            }
            if let pending, pending.code != code { throw SMTPReplyParserError(line: text) }
            let content = line.count > 4 ? String(decoding: line.dropFirst(4), as: UTF8.self) : ""
            var reply = pending ?? (code, [])
            reply.lines.append(content)
            if separator == UInt8(ascii: "-") {
                guard reply.lines.count < Self.maximumLines else {
                    throw SMTPReplyParserError(line: "(more than \(Self.maximumLines) lines in one reply)")
                }
                pending = reply
                continue
            }
            pending = nil
            return SMTPReply(code: code, lines: reply.lines)
        }
        if buffer.count > Self.maximumLineLength {
            throw SMTPReplyParserError(
                line: String(decoding: buffer.prefix(80), as: UTF8.self)
                    + "… (a line longer than \(Self.maximumLineLength) bytes)")
        }
        return nil
    }
}

public struct SMTPReplyParserError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: String

    public var description: String { "malformed SMTP reply line '\(line)'" }
}
