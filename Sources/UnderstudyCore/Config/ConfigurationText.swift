/// The bytes of a configuration file, made text: UTF-8 without NUL bytes, or a problem naming the line and column
/// of the first byte that is not (TOML files are UTF-8; a Latin-1 file or a binary one is named as such).
public enum ConfigurationText {
    public static func decode(_ bytes: [UInt8], path: String) throws(ConfigurationProblem) -> String {
        var line = 1
        var lineStart = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0 {
                throw ConfigurationProblem(
                    file: path, line: line, code: .notText,
                    message:
                        "the file is not text: a NUL byte at column \(index - lineStart + 1); is this the configuration file?"
                )
            }
            if byte == UInt8(ascii: "\n") {
                line += 1
                lineStart = index + 1
                index += 1
                continue
            }
            let length = sequenceLength(bytes, at: index)
            guard length > 0 else {
                let hex = String(byte, radix: 16, uppercase: true)
                throw ConfigurationProblem(
                    file: path, line: line, code: .notText,
                    message:
                        "the file is not UTF-8 text: byte 0x\(hex.count < 2 ? "0" + hex : hex) at column \(index - lineStart + 1) does not begin a valid UTF-8 sequence; save the file as UTF-8"
                )
            }
            index += length
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The length of the valid UTF-8 sequence at `index`, or 0 (overlong forms, surrogates and values past U+10FFFF
    /// are invalid, as Swift's decoder has them).
    private static func sequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        let first = bytes[index]
        func continuation(_ offset: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            index + offset < bytes.count && range.contains(bytes[index + offset])
        }
        switch first {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: return continuation(1) ? 2 : 0
        case 0xE0: return continuation(1, 0xA0...0xBF) && continuation(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF: return continuation(1) && continuation(2) ? 3 : 0
        case 0xED: return continuation(1, 0x80...0x9F) && continuation(2) ? 3 : 0
        case 0xF0: return continuation(1, 0x90...0xBF) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF1...0xF3: return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF4: return continuation(1, 0x80...0x8F) && continuation(2) && continuation(3) ? 4 : 0
        default: return 0
        }
    }
}
