/// One thing wrong with a configuration file, at a line of it.
public struct ConfigurationProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem, for programs and tests; the message is for people.
    public enum Code: String, Sendable, Equatable {
        case syntax
        /// The file's bytes are not UTF-8 text.
        case notText
        case unknownKey
        case wrongType
        case missingKey
        case invalidName
        case invalidAddress
        case invalidPath
        case invalidPattern
        case invalidDuration
        case invalidBandwidth
        /// A value outside its allowed set or range: a mode, a count, a port, a URL.
        case invalidValue
        case noNodes
        case unknownNode
        case sameNode
        case noShares
        case duplicateShare
        /// Two things that must differ do not: addresses, state directories, sockets, or
        /// directories that overlap on one machine.
        case conflict
    }

    public var file: String
    public var line: Int
    public var code: Code
    public var message: String

    /// A value the user wrote may be megabytes long: the message keeps its start, its end and its length.
    public init(file: String, line: Int, code: Code, message: String) {
        self.file = file
        self.line = line
        self.code = code
        self.message = ProblemText.shortened(message)
    }

    /// `file:line: message`, the form editors and terminals turn into a link.
    public var description: String { "\(file):\(line): \(message)" }
}

/// Every problem found in a configuration file, sorted by line, so that one run of
/// `understudy check` shows them all.
public struct ConfigurationProblems: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [ConfigurationProblem]

    public init(_ problems: [ConfigurationProblem]) {
        // Sorting by line alone keeps problems on one line in the order they were found.
        self.problems = problems.enumerated()
            .sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }
            .map(\.element)
    }

    /// One problem per line.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
