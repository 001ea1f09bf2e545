#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// An `understudy run` process of the binary built next to the tests, for what only a real process can show:
/// kill -9 at any instant.
final class DaemonProcess {
    let child: ChildProcess
    let node: String

    static var binary: String {
        let tests =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = (tests as NSString).deletingLastPathComponent
        while !directory.isEmpty && directory != "/" {
            let candidate = directory + "/understudy"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return ".build/debug/understudy"
    }

    /// - Parameter wrapper: a command that runs the daemon (e.g. `setpriv` with options, ending in `--`).
    /// - Parameter arguments: more arguments of `understudy run`.
    init(config: String, node: String, log: String, wrapper: [String] = [], arguments: [String] = []) throws {
        self.node = node
        // Appended to, so the log of a node restarted many times tells its whole story.
        let output = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw ChildProcessError(message: "\(log): \(String(cString: strerror(errno)))") }
        defer { close(output) }
        let command = wrapper + [DaemonProcess.binary, "run", "--config", config, "--node", node] + arguments
        child = try ChildProcess(executable: command[0], arguments: Array(command.dropFirst()), output: output)
    }

    var pid: Int32 { child.pid }

    func kill9() {
        child.kill9()
    }

    func terminate() {
        guard child.isRunning else { return }
        kill(pid, SIGTERM)
        if !child.wait(seconds: 10) { kill9() }
    }
}

extension TestTree {
    /// Random content from the kernel (fast even in a debug build), returned as its SHA-256 digest string.
    @discardableResult
    static func writeRandomFile(_ root: String, _ relative: String, size: Int) -> String {
        let path = root + "/" + relative
        try? FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let input = open("/dev/urandom", O_RDONLY)
        let output = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(input >= 0 && output >= 0)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 8)
        var remaining = size
        while remaining > 0 {
            let count = read(input, buffer.baseAddress, min(remaining, buffer.count))
            precondition(count > 0)
            var offset = 0
            while offset < count { offset += Glibc.write(output, buffer.baseAddress! + offset, count - offset) }
            remaining -= count
        }
        buffer.deallocate()
        close(input)
        close(output)
        return digest(path)
    }
}
