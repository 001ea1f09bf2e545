import Testing
import UnderstudyNode
import UnderstudyNotify

struct SMTPReplyParserTests {
    @Test func assemblesMultilineReplies_fromPieces() throws {
        var parser = SMTPReplyParser()
        parser.append(Array("250-relay.example.com\r\n250-8BIT".utf8))
        #expect(try parser.next() == nil)
        #expect(!parser.isEmpty)
        parser.append(Array("MIME\r\n250 SIZE 100\r\n220 ready\n".utf8))
        #expect(try parser.next() == SMTPReply(code: 250, lines: ["relay.example.com", "8BITMIME", "SIZE 100"]))
        #expect(try parser.next() == SMTPReply(code: 220, lines: ["ready"]))
        #expect(try parser.next() == nil)
        #expect(parser.isEmpty)
    }

    @Test func rejectsMalformedLines() {
        for text in ["hello\r\n", "25\r\n", "250*x\r\n", "250-a\r\n251 b\r\n", "999 x\r\n"] {
            var parser = SMTPReplyParser()
            parser.append(Array(text.utf8))
            #expect(throws: SMTPReplyParserError.self) {
                while try parser.next() != nil {}
            }
        }
        var endless = SMTPReplyParser()
        endless.append([UInt8](repeating: UInt8(ascii: "2"), count: 5000))
        #expect(throws: SMTPReplyParserError.self) { try endless.next() }
    }
}
