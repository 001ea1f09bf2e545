/// A parsed TOML file: its root table, every value of which remembers its line.
///
/// We parse TOML ourselves rather than through TOMLKit because every configuration problem must
/// name the line it is on, and TOMLKit does not expose where a key was written.
public struct TOMLDocument: Sendable, Equatable {
    /// The file the text came from; used only in messages.
    public var path: String
    public var root: TOMLTable

    public init(path: String, root: TOMLTable) {
        self.path = path
        self.root = root
    }

    /// Parses TOML 1.0, except offset/local dates and times, which are refused with a clear message.
    public static func parse(_ text: String, path: String) throws(TOMLSyntaxError) -> TOMLDocument {
        var parser = TOMLParser(text: text, path: path)
        return TOMLDocument(path: path, root: try parser.parseDocument())
    }
}

/// A TOML syntax error; parsing stops at the first one because what follows cannot be trusted.
public struct TOMLSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file):\(line): \(message)" }
}
