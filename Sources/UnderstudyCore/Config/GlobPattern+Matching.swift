/// Matching compiled patterns against the UTF-8 bytes of a relative path, without allocating.
extension GlobPattern {
    /// True when this pattern matches exactly `relativePath` ("/"-separated, relative to the share
    /// root). Ancestors are not considered; `PathFilter` does that.
    public func matches(_ relativePath: String, isDirectory: Bool) -> Bool {
        GlobMatcher.withComponents(of: relativePath) { path, components in
            guard !components.isEmpty else { return false }
            if isAnchored {
                return matchesPrefix(path, components, count: components.count, isDirectory: isDirectory)
            }
            return matchesName(path, components[components.count - 1], isDirectory: isDirectory)
        }
    }

    /// An unanchored pattern tested against one name.
    @inline(__always)
    func matchesName(_ path: UnsafeBufferPointer<UInt8>, _ name: Range<Int>, isDirectory: Bool) -> Bool {
        if isDirectoryOnly && !isDirectory { return false }
        return GlobMatcher.matches(segments[0], path, name)
    }

    /// An anchored pattern tested against the first `count` components.
    func matchesPrefix(
        _ path: UnsafeBufferPointer<UInt8>, _ components: UnsafeBufferPointer<Range<Int>>, count: Int, isDirectory: Bool
    ) -> Bool {
        if isDirectoryOnly && !isDirectory { return false }
        if hasGlobstar ? count < minimumComponents : count != segments.count { return false }
        // Wildcard matching at the level of components: `**` is the star. Backtracking to the most
        // recent `**` is enough, as in the classic `*` algorithm.
        var segment = 0
        var component = 0
        var starSegment = -1
        var starComponent = 0
        while component < count {
            if segment < segments.count {
                if segments[segment] == .globstar {
                    starSegment = segment
                    starComponent = component
                    segment += 1
                    continue
                }
                if GlobMatcher.matches(segments[segment], path, components[component]) {
                    segment += 1
                    component += 1
                    continue
                }
            }
            guard starSegment >= 0 else { return false }
            segment = starSegment + 1
            starComponent += 1
            component = starComponent
        }
        while segment < segments.count, segments[segment] == .globstar { segment += 1 }
        return segment == segments.count
    }
}

enum GlobMatcher {
    /// Calls `body` with the path's bytes and the byte ranges of its non-empty components.
    static func withComponents<R>(
        of path: String, _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<Range<Int>>) -> R
    ) -> R {
        if let result = path.utf8.withContiguousStorageIfAvailable({ bytes in split(bytes, body) }) {
            return result
        }
        return Array(path.utf8).withUnsafeBufferPointer { split($0, body) }
    }

    private static func split<R>(
        _ bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<Range<Int>>) -> R
    ) -> R {
        var slashes = 0
        for byte in bytes where byte == UInt8(ascii: "/") { slashes += 1 }
        return withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: slashes + 1) { buffer in
            var count = 0
            var start = 0
            for index in 0...bytes.count where index == bytes.count || bytes[index] == UInt8(ascii: "/") {
                if index > start {
                    buffer.initializeElement(at: count, to: start..<index)
                    count += 1
                }
                start = index + 1
            }
            defer { buffer.baseAddress!.deinitialize(count: count) }
            return body(bytes, UnsafeBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    @inline(__always)
    static func matches(_ segment: GlobSegment, _ path: UnsafeBufferPointer<UInt8>, _ name: Range<Int>) -> Bool {
        switch segment {
        case .globstar, .anyName:
            return true
        case .literal(let literal):
            return literal.count == name.count && equal(literal, path, at: name.lowerBound)
        case .suffix(let suffix):
            return name.count >= suffix.count && equal(suffix, path, at: name.upperBound - suffix.count)
        case .prefix(let prefix):
            return name.count >= prefix.count && equal(prefix, path, at: name.lowerBound)
        case .tokens(let tokens):
            return matchTokens(tokens, path, name)
        }
    }

    @inline(__always)
    private static func equal(_ literal: [UInt8], _ path: UnsafeBufferPointer<UInt8>, at offset: Int) -> Bool {
        var index = 0
        while index < literal.count {
            if literal[index] != path[offset + index] { return false }
            index += 1
        }
        return true
    }

    /// `*`, `?` and classes within one name; `?` and classes consume a whole UTF-8 character.
    private static func matchTokens(
        _ tokens: [GlobToken], _ path: UnsafeBufferPointer<UInt8>, _ name: Range<Int>
    ) -> Bool {
        var token = 0
        var position = name.lowerBound
        var starToken = -1
        var starPosition = 0
        while position < name.upperBound {
            if token < tokens.count {
                switch tokens[token] {
                case .star:
                    starToken = token
                    starPosition = position
                    token += 1
                    continue
                case .byte(let byte):
                    if path[position] == byte {
                        token += 1
                        position += 1
                        continue
                    }
                case .anyCharacter:
                    token += 1
                    position += scalarLength(path[position])
                    continue
                case .characterClass(let characterClass):
                    let (scalar, length) = decodeScalar(path, at: position, end: name.upperBound)
                    if characterClass.contains(scalar) {
                        token += 1
                        position += length
                        continue
                    }
                }
            }
            guard starToken >= 0 else { return false }
            token = starToken + 1
            starPosition += scalarLength(path[starPosition])
            position = starPosition
        }
        // A character may not be split by `?` at the very end of the name.
        if position > name.upperBound { return false }
        while token < tokens.count, tokens[token] == .star { token += 1 }
        return token == tokens.count
    }

    @inline(__always)
    static func scalarLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }

    /// The scalar value at `index` and its length in bytes; a malformed sequence reads as its
    /// first byte alone.
    static func decodeScalar<C: RandomAccessCollection<UInt8>>(_ bytes: C, at index: Int, end: Int) -> (UInt32, Int)
    where C.Index == Int {
        let lead = bytes[index]
        let length = scalarLength(lead)
        guard length > 1, index + length <= end else { return (UInt32(lead), 1) }
        var value = UInt32(lead) & (0xFF >> (length + 1))
        for offset in 1..<length {
            let byte = bytes[index + offset]
            guard byte & 0xC0 == 0x80 else { return (UInt32(lead), 1) }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        return (value, length)
    }
}
