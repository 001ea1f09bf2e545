#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// An `understudy run` process of the binary built next to the tests, for what only a real process can show:
/// kill -9 at any instant.
final class DaemonProcess {
    let process = Process()
    let node: String

    static var binary: String {
        let tests = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = (tests as NSString).deletingLastPathComponent
        while !directory.isEmpty && directory != "/" {
            let candidate = directory + "/understudy"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return ".build/debug/understudy"
    }

    init(config: String, node: String, log: String) throws {
        self.node = node
        process.executableURL = URL(fileURLWithPath: DaemonProcess.binary)
        process.arguments = ["run", "--config", config, "--node", node]
        // Appended to, so the log of a node restarted many times tells its whole story.
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    func kill9() {
        Glibc.kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    func terminate() {
        guard process.isRunning else { return }
        Glibc.kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill9() }
    }
}

extension TestTree {
    /// Random content from the kernel (fast even in a debug build), returned as its SHA-256 digest string.
    @discardableResult
    static func writeRandomFile(_ root: String, _ relative: String, size: Int) -> String {
        let path = root + "/" + relative
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
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

