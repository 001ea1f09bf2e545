/// One replacement a node makes in the primary's configuration files before it puts them in place: every occurrence
/// of `text` becomes `replacement`.
public struct ConfigSubstitution: Sendable, Equatable, Codable {
    public var text: String
    public var replacement: String

    public init(text: String, replacement: String) {
        self.text = text
        self.replacement = replacement
    }

    /// `content` with every substitution made, longest text first (so "eth10" is not taken for "eth1"); a
    /// replacement is never substituted again. Content that is not UTF-8 is returned unchanged.
    public static func apply(_ substitutions: [ConfigSubstitution], to content: [UInt8]) -> [UInt8] {
        guard !substitutions.isEmpty, let text = String(validating: content, as: UTF8.self) else { return content }
        let ordered = substitutions.filter { !$0.text.isEmpty }.sorted { $0.text.utf8.count > $1.text.utf8.count }
        var result = ""
        var rest = Substring(text)
        scan: while !rest.isEmpty {
            for substitution in ordered where rest.hasPrefix(substitution.text) {
                result += substitution.replacement
                rest = rest.dropFirst(substitution.text.count)
                continue scan
            }
            result.append(rest.removeFirst())
        }
        return Array(result.utf8)
    }
}
