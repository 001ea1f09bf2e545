#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOConcurrencyHelpers
@testable import UnderstudyNode
@testable import UnderstudySupport

/// A program the tests start, reaped with `waitpid` under a deadline. Foundation's `Process.waitUntilExit` was
/// seen to wait forever for a child that had already ended: a `make test` stalled with two such waits holding both
/// threads of the cooperative pool, so no test waits for a process through it.
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    private let status = NIOLockedValueBox<Int32?>(nil)

    /// Starts `executable` in a process group of its own, stdin from /dev/null, both output streams on `output`
    /// (a descriptor the caller keeps and closes).
    init(executable: String, arguments: [String], environment: [String: String] = [:], output: Int32) throws {
        var pid: pid_t = 0
        let error = ProcessRunner.spawn(
            executable: executable, arguments: arguments, environment: environment,
            output: output, pid: &pid)
        guard error == 0 else { throw ChildProcessError(message: "\(executable): \(String(cString: strerror(error)))") }
        self.pid = pid
    }

    /// The wait status once the child has ended (reaping it then), nil while it runs.
    var waitStatus: Int32? {
        status.withLockedValue { status in
            if status == nil {
                var raw: Int32 = 0
                let result = waitpid(pid, &raw, WNOHANG)
                if result == pid { status = raw } else if result < 0 && errno == ECHILD { status = -1 }
            }
            return status
        }
    }

    var isRunning: Bool { waitStatus == nil }

    /// The exit code of a child that exited by itself; nil while it runs or when a signal ended it.
    var exitCode: Int32? {
        guard let raw = waitStatus, raw >= 0, raw & 0x7f == 0 else { return nil }
        return (raw >> 8) & 0xff
    }

    /// Waits up to `seconds` for the child to end; whether it did.
    @discardableResult
    func wait(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while isRunning {
            guard Date() < deadline else { return false }
            usleep(5_000)
        }
        return true
    }

    /// SIGKILL, then waits for the end (a killed process ends within moments; 30 s bounds a kernel stuck in I/O).
    func kill9() {
        kill(pid, SIGKILL)
        wait(seconds: 30)
    }

    /// Runs a program to its end (at most `timeout` seconds, then it is killed): its exit code (or 128 + the
    /// signal that ended it) and its output, standard output and error together.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        timeout: Double = 120
    ) throws -> (status: Int32, output: String) {
        let outcome = ProcessRunner.runBlocking(
            executable: executable, arguments: arguments, environment: environment,
            timeout: timeout, outputLimit: 4 << 20)
        switch outcome.termination {
        case .exited(let code): return (code, outcome.output)
        case .signaled(let signal): return (128 + signal, outcome.output)
        case .notStarted(let reason): throw ChildProcessError(message: reason)
        }
    }
}

struct ChildProcessError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
