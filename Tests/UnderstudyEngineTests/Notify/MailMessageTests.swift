import Foundation
import Testing
import UnderstudyNode
import UnderstudyNotify

struct MailMessageTests {
    @Test func encodesWithCRLF_dotStuffing_andCutLongLines() {
        let body = "first\n.dot\r\n..two\rlast " + String(repeating: "y", count: 2000) + "\n"
        let mail = MailMessage(
            from: "u@example.com", to: ["a@example.com"], subject: "line\r\nBcc: evil@example.com",
            body: body, date: 0, messageID: "<id@example.com>")
        let text = String(decoding: mail.encoded(), as: UTF8.self)
        #expect(text.contains("Subject: line  Bcc: evil@example.com\r\n"))
        #expect(!text.contains("\r\nBcc:"))
        let body0 = text.components(separatedBy: "\r\n\r\n")[1]
        let lines = body0.components(separatedBy: "\r\n")
        #expect(Array(lines.prefix(4)) == ["first", "..dot", "...two", "last " + String(repeating: "y", count: 985)])
        #expect(lines.allSatisfy { $0.utf8.count <= 990 })
        #expect(text.hasSuffix("y\r\n.\r\n"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }

    @Test func encodesNonASCIISubject_asEncodedWords() {
        let subject = String(repeating: "ä", count: 40)
        let mail = MailMessage(from: "u@example.com", to: ["a@example.com"], subject: subject, body: "x", date: 0)
        let text = String(decoding: mail.encoded(), as: UTF8.self)
        let header = text.components(separatedBy: "\r\nDate:")[0].components(separatedBy: "Subject: ")[1]
        let words = header.components(separatedBy: "\r\n ")
        #expect(words.count == 2)
        #expect(words.allSatisfy { $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") && $0.count <= 75 })
        let decoded = words.map { Data(base64Encoded: String($0.dropFirst(10).dropLast(2)))! }.reduce(Data(), +)
        #expect(String(decoding: decoded, as: UTF8.self) == subject)
    }
}
