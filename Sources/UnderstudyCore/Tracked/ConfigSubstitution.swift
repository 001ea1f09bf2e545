/// One replacement a node makes in the primary's configuration files before it puts them in place: every occurrence
/// of `text` becomes `replacement`.
public struct ConfigSubstitution: Sendable, Equatable, Codable {
    public var text: String
    public var replacement: String

    public init(text: String, replacement: String) {
        self.text = text
        self.replacement = replacement
    }

    /// `content` with every substitution made, byte for byte (a file in Latin-1 is substituted as well as one in
    /// UTF-8), longest text first (so "eth10" is not taken for "eth1"); a replacement is never substituted again.
    public static func apply(_ substitutions: [ConfigSubstitution], to content: [UInt8]) -> [UInt8] {
        let ordered = substitutions.map { (Array($0.text.utf8), Array($0.replacement.utf8)) }.filter { !$0.0.isEmpty }
            .sorted { $0.0.count > $1.0.count }
        guard !ordered.isEmpty else { return content }
        var result: [UInt8] = []
        result.reserveCapacity(content.count)
        var index = 0
        scan: while index < content.count {
            for (text, replacement) in ordered
            where index + text.count <= content.count && content[index] == text[0]
                && content[index..<(index + text.count)].elementsEqual(text)
            {
                result += replacement
                index += text.count
                continue scan
            }
            result.append(content[index])
            index += 1
        }
        return result
    }
}
