/// Messages quote what the user wrote, and what a user (or an attacker) wrote may be megabytes long: a
/// message keeps each long word's start, end and length, and a message that is still long keeps its start and end.
public enum ProblemText {
    /// Words (runs without spaces) longer than this are shortened.
    public static let longWord = 160
    /// A message longer than this after that keeps its first and last parts.
    public static let longMessage = 2000

    public static func shortened(_ message: String) -> String {
        guard message.utf8.count > longWord else { return message }
        var result = ""
        var word = Substring()
        var start = message.startIndex
        var index = message.startIndex
        func flush(upTo end: String.Index) {
            word = message[start..<end]
            result += word.utf8.count > longWord ? shorten(word) : String(word)
        }
        while index < message.endIndex {
            let character = message[index]
            if character == " " || character == "\n" || character == "\t" {
                flush(upTo: index)
                result.append(character)
                start = message.index(after: index)
            }
            index = message.index(after: index)
        }
        flush(upTo: message.endIndex)
        guard result.utf8.count > longMessage else { return result }
        return String(result.prefix(longMessage / 2)) + " … (\(result.utf8.count) bytes in all) … "
            + String(result.suffix(longMessage / 4))
    }

    private static func shorten(_ word: Substring) -> String {
        String(word.prefix(60)) + "…" + String(word.suffix(20)) + " (\(word.utf8.count) bytes)"
    }
}
