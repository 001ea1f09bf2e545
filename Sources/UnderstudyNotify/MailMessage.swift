import Foundation

/// A plain-text mail as it goes after DATA (RFC 5322): headers, a blank line, the body with CRLF line ends,
/// every line that starts with "." doubled (RFC 5321 §4.5.2), lines cut below the 998-byte limit, and the
/// final "." line.
public struct MailMessage: Sendable, Equatable {
    public var from: String
    public var to: [String]
    public var subject: String
    public var body: String
    /// Seconds since 1970, shown in the Date header in the local time zone.
    public var date: Double
    /// "<understudy.…@example.com>".
    public var messageID: String

    public init(from: String, to: [String], subject: String, body: String, date: Double, messageID: String? = nil) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.date = date
        let domain = from.split(separator: "@").last.map(String.init) ?? "localhost"
        self.messageID = messageID ?? "<understudy.\(UUID().uuidString.lowercased())@\(domain)>"
    }

    /// The bytes to send after the server's 354.
    public func encoded() -> [UInt8] {
        let eightBit = !body.utf8.allSatisfy { $0 < 0x80 }
        var lines = [
            "From: \(from)",
            "To: \(to.joined(separator: ", "))",
            "Subject: \(Self.encodeHeaderText(subject))",
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: \(messageID)",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: \(eightBit ? "8bit" : "7bit")",
            "X-Mailer: understudy",
            "",
        ]
        let normalized = body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var bodyLines = normalized.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if bodyLines.last == "" { bodyLines.removeLast() }
        for line in bodyLines {
            for piece in Self.cut(line, maximumBytes: 990) {
                lines.append(piece.hasPrefix(".") ? "." + piece : piece)
            }
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n.\r\n").utf8)
    }

    /// "Sun, 22 Nov 2026 10:02:05 +0100".
    public static func rfc5322Date(_ time: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: Date(timeIntervalSince1970: time))
    }

    /// ASCII text as it is (line breaks made spaces, so no header can be injected); anything else as
    /// RFC 2047 encoded words of at most 75 characters, folded onto continuation lines.
    static func encodeHeaderText(_ text: String) -> String {
        // By scalars: "\r\n" is a single Character, which a comparison with "\n" would miss.
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { scalars.append(scalar == "\r" || scalar == "\n" ? " " : scalar) }
        let single = String(scalars)
        if single.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) {
            return single.utf8.count > 900 ? String(single.prefix(900)) : single
        }
        var words: [[UInt8]] = []
        var chunk: [UInt8] = []
        for character in single {
            let bytes = Array(String(character).utf8)
            // 45 bytes make 60 base64 characters: with "=?UTF-8?B?" and "?=" a word stays within 75.
            if chunk.count + bytes.count > 45 {
                words.append(chunk)
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    /// Pieces of at most `maximumBytes` UTF-8 bytes, never splitting a character.
    private static func cut(_ line: String, maximumBytes: Int) -> [String] {
        guard line.utf8.count > maximumBytes else { return [line] }
        var pieces: [String] = []
        var current = ""
        var size = 0
        for character in line {
            let length = String(character).utf8.count
            if size + length > maximumBytes {
                pieces.append(current)
                current = ""
                size = 0
            }
            current.append(character)
            size += length
        }
        pieces.append(current)
        return pieces
    }
}
