#if canImport(Glibc)
import Glibc
#endif

/// A new password: asked twice at a terminal (not echoed), or read as one line from standard input with
/// `--password-stdin` (for scripts).
enum PasswordInput {
    static func read(fromStandardInput: Bool, for user: String) throws -> String {
        if fromStandardInput {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw CommandError("--password-stdin: standard input held no password (one line is read)")
            }
            return line
        }
        guard isatty(0) == 1 else {
            throw CommandError(
                "standard input is not a terminal: give the password on it with --password-stdin")
        }
        guard let first = getpass("New password for \(user): ").map({ String(cString: $0) }),
            let second = getpass("Again: ").map({ String(cString: $0) })
        else { throw CommandError("no password was read") }
        guard first == second else { throw CommandError("the two passwords differ; nothing was changed") }
        return first
    }
}
