/// One gitignore-style pattern, compiled once into segments so that matching a path costs a few
/// byte comparisons (it runs for every entry of trees with hundreds of thousands of files).
///
/// - No "/" except a trailing one: matches a name at any depth (`*.log`, `cache/`).
/// - A leading "/" or a "/" in the middle anchors the pattern to the share root (`/build`, `docs/*.md`).
/// - A trailing "/" matches directories only.
/// - `*` matches any run of characters within one name, `?` one character, `[abc]`, `[a-z]`, `[!a]`
///   (or `[^a]`) one character of a class; none of them matches "/". `*` also matches a leading ".".
/// - `**` as a whole component matches any number of directories: `**/build/`, `docs/**/*.md`;
///   a trailing `/**` matches everything inside a directory but not the directory itself.
/// - `\` makes the next character literal.
/// Matching is case-sensitive and compares bytes, as Linux file names are.
public struct GlobPattern: Sendable, Equatable, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String
    /// Matches directories only (the pattern ended with "/").
    public let isDirectoryOnly: Bool
    /// Matches the whole path from the share root, rather than a single name at any depth.
    public let isAnchored: Bool

    let segments: [GlobSegment]
    let hasGlobstar: Bool
    /// Components a path needs at least to match (globstars may match none).
    let minimumComponents: Int

    public init(_ pattern: String) throws(GlobError) {
        self.pattern = pattern
        var body = Array(pattern.utf8)[...]
        if body.isEmpty { throw GlobError(pattern: pattern, message: "the pattern is empty") }
        if body.contains(0) { throw GlobError(pattern: pattern, message: "the pattern contains a NUL character") }
        if body.first == UInt8(ascii: "!") {
            throw GlobError(
                pattern: pattern,
                message:
                    "'!' negation is not supported; list the paths to keep in 'include', or write '\\!' for a name that starts with '!'"
            )
        }
        isDirectoryOnly = body.last == UInt8(ascii: "/")
        if isDirectoryOnly { body = body.dropLast() }
        let leadingSlash = body.first == UInt8(ascii: "/")
        if leadingSlash { body = body.dropFirst() }
        if body.isEmpty {
            throw GlobError(pattern: pattern, message: "the pattern names no file or directory")
        }
        let parts = body.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        var segments: [GlobSegment] = []
        for part in parts {
            if part.isEmpty {
                throw GlobError(pattern: pattern, message: "it has an empty path component ('//')")
            }
            if part.elementsEqual(".".utf8) || part.elementsEqual("..".utf8) {
                throw GlobError(
                    pattern: pattern,
                    message:
                        "'\(String(decoding: part, as: UTF8.self))' components are not allowed; patterns are relative to the share root, and a leading '/' anchors them there"
                )
            }
            segments.append(try Self.compileSegment(part, pattern: pattern))
        }
        // A trailing `/**` means "everything inside", so it needs at least one more name.
        if segments.count > 1, segments.last == .globstar {
            segments.insert(.anyName, at: segments.count - 1)
        } else if segments == [.globstar] {
            segments = [.anyName, .globstar]
        }
        self.segments = segments
        hasGlobstar = segments.contains(.globstar)
        isAnchored = leadingSlash || segments.count > 1
        minimumComponents = segments.count { $0 != .globstar }
    }

    public var description: String { pattern }

    public static func == (lhs: GlobPattern, rhs: GlobPattern) -> Bool {
        lhs.pattern == rhs.pattern
    }

    // MARK: - Compiling one path component

    private static func compileSegment(_ part: ArraySlice<UInt8>, pattern: String) throws(GlobError) -> GlobSegment {
        if part.elementsEqual("**".utf8) { return .globstar }
        var tokens: [GlobToken] = []
        var index = part.startIndex
        while index < part.endIndex {
            let byte = part[index]
            switch byte {
            case UInt8(ascii: "\\"):
                guard index + 1 < part.endIndex else {
                    throw GlobError(pattern: pattern, message: "it ends with an unfinished escape '\\'")
                }
                tokens.append(.byte(part[index + 1]))
                index += 2
            case UInt8(ascii: "*"):
                if tokens.last == .star {
                    throw GlobError(
                        pattern: pattern,
                        message: "'**' must be a whole path component, like 'docs/**/*.md' or '**/build/'")
                }
                tokens.append(.star)
                index += 1
            case UInt8(ascii: "?"):
                tokens.append(.anyCharacter)
                index += 1
            case UInt8(ascii: "["):
                let (characterClass, end) = try GlobCharacterClass.parse(part, from: index, pattern: pattern)
                tokens.append(.characterClass(characterClass))
                index = end
            default:
                tokens.append(.byte(byte))
                index += 1
            }
        }
        return GlobSegment(tokens: tokens)
    }
}

public struct GlobError: Error, Sendable, Equatable, CustomStringConvertible {
    public var pattern: String
    public var message: String

    public init(pattern: String, message: String) {
        self.pattern = pattern
        self.message = message
    }

    public var description: String { "invalid pattern '\(pattern)': \(message)" }
}

/// One "/"-separated component of a pattern, in the cheapest form that matches it.
enum GlobSegment: Sendable, Equatable {
    /// `**`: any number of components, including none.
    case globstar
    /// A name without wildcards.
    case literal([UInt8])
    /// `*`
    case anyName
    /// `*.log`
    case suffix([UInt8])
    /// `core.*`
    case prefix([UInt8])
    case tokens([GlobToken])

    init(tokens: [GlobToken]) {
        let literals = tokens.compactMap { token -> UInt8? in
            if case .byte(let byte) = token { return byte }
            return nil
        }
        let wildcards = tokens.count - literals.count
        if wildcards == 0 {
            self = .literal(literals)
        } else if wildcards == 1, tokens.first == .star {
            self = literals.isEmpty ? .anyName : .suffix(literals)
        } else if wildcards == 1, tokens.last == .star {
            self = .prefix(literals)
        } else {
            self = .tokens(tokens)
        }
    }
}

enum GlobToken: Sendable, Equatable {
    case byte(UInt8)
    case star
    case anyCharacter
    case characterClass(GlobCharacterClass)
}

/// `[abc]`, `[a-z]`, `[!0-9]`: one Unicode scalar from (or, negated, not from) a set of ranges.
struct GlobCharacterClass: Sendable, Equatable {
    var negated: Bool
    var ranges: [ClosedRange<UInt32>]

    func contains(_ scalar: UInt32) -> Bool {
        ranges.contains { $0.contains(scalar) } != negated
    }

    /// Parses the class starting at `start` (the '['); returns it and the index after its ']'.
    static func parse(
        _ part: ArraySlice<UInt8>, from start: Int, pattern: String
    ) throws(GlobError) -> (GlobCharacterClass, Int) {
        var index = start + 1
        var negated = false
        if index < part.endIndex, part[index] == UInt8(ascii: "!") || part[index] == UInt8(ascii: "^") {
            negated = true
            index += 1
        }
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        while true {
            guard index < part.endIndex else {
                throw GlobError(pattern: pattern, message: "'[' is not closed by ']'; write '\\[' for a literal '['")
            }
            if part[index] == UInt8(ascii: "]") && !first { break }
            if part[index] == UInt8(ascii: "["), index + 1 < part.endIndex, part[index + 1] == UInt8(ascii: ":") {
                throw GlobError(
                    pattern: pattern,
                    message: "named classes like '[:alpha:]' are not supported; use ranges such as '[a-zA-Z]'")
            }
            first = false
            let (low, afterLow) = try scalar(in: part, at: index, pattern: pattern)
            index = afterLow
            if index + 1 < part.endIndex, part[index] == UInt8(ascii: "-"), part[index + 1] != UInt8(ascii: "]") {
                let (high, afterHigh) = try scalar(in: part, at: index + 1, pattern: pattern)
                guard low <= high else {
                    throw GlobError(
                        pattern: pattern, message: "the range '\(Self.text(low))-\(Self.text(high))' is reversed")
                }
                ranges.append(low...high)
                index = afterHigh
            } else {
                ranges.append(low...low)
            }
        }
        return (GlobCharacterClass(negated: negated, ranges: ranges), index + 1)
    }

    /// The (possibly escaped) scalar at `index` and the index after it.
    private static func scalar(
        in part: ArraySlice<UInt8>, at index: Int, pattern: String
    ) throws(GlobError) -> (UInt32, Int) {
        var index = index
        if part[index] == UInt8(ascii: "\\") {
            index += 1
            guard index < part.endIndex else {
                throw GlobError(pattern: pattern, message: "'[' is not closed by ']'; write '\\[' for a literal '['")
            }
        }
        let (value, length) = GlobMatcher.decodeScalar(part, at: index, end: part.endIndex)
        return (value, index + length)
    }

    private static func text(_ value: UInt32) -> String {
        Unicode.Scalar(value).map { String(Character($0)) } ?? "?"
    }
}
