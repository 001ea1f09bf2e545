/// A unified diff of two texts, line by line (the longest common subsequence, three lines of context), as
/// `diff -u` prints it: what `understudy config diff` and the history show of a configuration change.
public enum LineDiff {
    /// Past this many lines on either side, the diff says only that the files differ (the table the search needs
    /// grows with the product of both).
    public static let maximumLines = 4000

    public static func unified(
        old: [UInt8]?, new: [UInt8]?, oldLabel: String, newLabel: String, context: Int = 3
    ) -> String {
        guard let a = text(old), let b = text(new) else {
            return old == new ? "" : "Binary files \(oldLabel) and \(newLabel) differ\n"
        }
        if a == b { return "" }
        guard a.count <= maximumLines, b.count <= maximumLines else {
            return "Files \(oldLabel) and \(newLabel) differ (more than \(maximumLines) lines: no line diff)\n"
        }
        let edits = script(a, b)
        var output = "--- \(oldLabel)\n+++ \(newLabel)\n"
        for hunk in hunks(edits, context: context) {
            let oldStart = hunk.first { $0.kind != .insert }?.oldIndex ?? (hunk.first?.oldIndex ?? 0)
            let newStart = hunk.first { $0.kind != .delete }?.newIndex ?? (hunk.first?.newIndex ?? 0)
            let oldCount = hunk.filter { $0.kind != .insert }.count
            let newCount = hunk.filter { $0.kind != .delete }.count
            output +=
                "@@ -\(range(oldStart, oldCount)) +\(range(newStart, newCount)) @@\n"
            for edit in hunk {
                switch edit.kind {
                case .same: output += printed(" ", a[edit.oldIndex])
                case .delete: output += printed("-", a[edit.oldIndex])
                case .insert: output += printed("+", b[edit.newIndex])
                }
            }
        }
        return output
    }

    struct Edit {
        enum Kind { case same, delete, insert }
        var kind: Kind
        var oldIndex: Int
        var newIndex: Int
    }

    /// The text's lines, split at each LF byte (a CR stays in its line); nil for content that is not text.
    private static func text(_ bytes: [UInt8]?) -> [String]? {
        guard let bytes else { return [] }
        if bytes.contains(0) || String(validating: bytes, as: UTF8.self) == nil { return nil }
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        if lines.last == "" {
            lines.removeLast()
        } else if !lines.isEmpty {
            // A last line without its newline differs from the same line with one, as diff says.
            lines[lines.count - 1] += noNewline
        }
        return lines
    }

    static let noNewline = "\u{1}"

    private static func printed(_ prefix: String, _ line: String) -> String {
        guard line.hasSuffix(noNewline) else { return prefix + line + "\n" }
        return prefix + line.dropLast() + "\n\\ No newline at end of file\n"
    }

    private static func range(_ start: Int, _ count: Int) -> String {
        // diff -u: a hunk that holds no line of a side names the line before it.
        count == 0 ? "\(start),0" : count == 1 ? "\(start + 1)" : "\(start + 1),\(count)"
    }

    /// The edit script from `a` to `b` by the longest common subsequence.
    static func script(_ a: [String], _ b: [String]) -> [Edit] {
        let n = a.count
        let m = b.count
        // lengths[i][j]: the LCS of a[i...] and b[j...], in one flat array.
        var lengths = [Int32](repeating: 0, count: (n + 1) * (m + 1))
        if n > 0 && m > 0 {
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    lengths[i * (m + 1) + j] =
                        a[i] == b[j]
                        ? lengths[(i + 1) * (m + 1) + j + 1] + 1
                        : max(lengths[(i + 1) * (m + 1) + j], lengths[i * (m + 1) + j + 1])
                }
            }
        }
        var edits: [Edit] = []
        var i = 0
        var j = 0
        while i < n || j < m {
            if i < n && j < m && a[i] == b[j] {
                edits.append(Edit(kind: .same, oldIndex: i, newIndex: j))
                i += 1
                j += 1
            } else if i < n && (j == m || lengths[(i + 1) * (m + 1) + j] >= lengths[i * (m + 1) + j + 1]) {
                // Removed lines before added ones, as diff prints a changed line.
                edits.append(Edit(kind: .delete, oldIndex: i, newIndex: j))
                i += 1
            } else {
                edits.append(Edit(kind: .insert, oldIndex: i, newIndex: j))
                j += 1
            }
        }
        return edits
    }

    /// The changed edits with `context` unchanged lines around them, runs closer than twice that joined.
    static func hunks(_ edits: [Edit], context: Int) -> [[Edit]] {
        let changed = edits.indices.filter { edits[$0].kind != .same }
        var groups: [ClosedRange<Int>] = []
        for index in changed {
            let low = max(0, index - context)
            let high = min(edits.count - 1, index + context)
            if let last = groups.last, low <= last.upperBound + 1 {
                groups[groups.count - 1] = last.lowerBound...max(last.upperBound, high)
            } else {
                groups.append(low...high)
            }
        }
        return groups.map { Array(edits[$0]) }
    }
}
