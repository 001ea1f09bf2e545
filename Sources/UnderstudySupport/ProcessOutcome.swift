#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a command run by `ProcessRunner` ended, with its output, fit for a log line (design rule 6).
public struct ProcessOutcome: Sendable, Equatable, CustomStringConvertible {
    public enum Termination: Sendable, Equatable {
        /// The shell (or program) exited with this status.
        case exited(Int32)
        /// A signal ended it: the timeout's SIGTERM/SIGKILL, or one sent by someone else.
        case signaled(Int32)
        /// It never ran: the reason says why (no /bin/sh, no pipe, no memory).
        case notStarted(String)
    }

    public var termination: Termination
    /// True when the timeout ran out and the process group was sent SIGTERM (and SIGKILL 2 s later if needed).
    public var timedOut: Bool
    /// Standard output and standard error as they were interleaved, cut at the limit with a note saying so.
    public var output: String
    /// True when more was written than the limit kept.
    public var outputTruncated: Bool
    /// Seconds from the start to the end of the process (or to the failure to start it).
    public var duration: Double
    /// The timeout it ran under, in seconds, for the summary.
    public var timeout: Double

    public init(
        termination: Termination, timedOut: Bool, output: String, outputTruncated: Bool,
        duration: Double, timeout: Double
    ) {
        self.termination = termination
        self.timedOut = timedOut
        self.output = output
        self.outputTruncated = outputTruncated
        self.duration = duration
        self.timeout = timeout
    }

    /// The exit status when it exited by itself.
    public var exitStatus: Int32? {
        if case .exited(let status) = termination { return status }
        return nil
    }

    /// The signal that ended it, if one did.
    public var signal: Int32? {
        if case .signaled(let signal) = termination { return signal }
        return nil
    }

    /// Exit 0 within the timeout: the only outcome a fence or a start script counts as success.
    public var succeeded: Bool { exitStatus == 0 && !timedOut }

    /// One line for the log: "exit 0 in 0.12 s", "exit 3 in 1.5 s", "killed after 30 s timeout",
    /// "killed by signal 9 (Killed) in 4 s", "could not start: ...".
    public var summary: String {
        if timedOut {
            return "killed after \(DurationText.seconds(timeout)) timeout"
        }
        switch termination {
        case .exited(let status):
            return "exit \(status) in \(DurationText.seconds(duration))"
        case .signaled(let signal):
            let name = strsignal(signal).map { String(cString: $0) } ?? "unknown"
            return "killed by signal \(signal) (\(name)) in \(DurationText.seconds(duration))"
        case .notStarted(let reason):
            return "could not start: \(reason)"
        }
    }

    /// The summary and, when there is any, the output on the following lines.
    public var description: String {
        let trimmed = output.hasSuffix("\n") ? String(output.dropLast()) : output
        return trimmed.isEmpty ? summary : "\(summary); output:\n\(trimmed)"
    }
}

/// Seconds as people read them in logs and errors: "0.12 s", "0.3 s", "30 s".
package enum DurationText {
    package static func seconds(_ value: Double) -> String {
        guard value.isFinite else { return "\(value) s" }
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded(), abs(rounded) < 1e15 {
            return "\(Int(rounded)) s"
        }
        var text = "\(rounded)"
        // Double's description can use exponents for small values; two decimals is all a log needs.
        if text.contains("e") {
            text = "0.01"
        }
        return "\(text) s"
    }
}
