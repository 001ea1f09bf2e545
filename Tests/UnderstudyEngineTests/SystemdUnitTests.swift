import Foundation
import Testing

/// The systemd unit the project ships (`dist/understudy.service`) passes `systemd-analyze verify` with the built
/// binary in place of /usr/sbin/understudy (its man page is looked for in the package's test, where it is installed),
/// and reloads with `understudy reload`, which answers only once the daemon re-read its file and fails on a bad one
/// (CommandLineTests).
struct SystemdUnitTests {
    static var unitPath: String {
        // Tests/UnderstudyEngineTests/SystemdUnitTests.swift → the repository's root.
        var root = #filePath as NSString
        for _ in 0..<3 { root = root.deletingLastPathComponent as NSString }
        return (root as String) + "/dist/understudy.service"
    }

    @Test func theShippedUnit_verifies_notifiesReadiness_andReloadsWithTheReloadCommand() throws {
        let unit = try String(contentsOfFile: Self.unitPath, encoding: .utf8)
        #expect(unit.contains("ExecReload=/usr/sbin/understudy reload --config /etc/understudy/understudy.toml"))
        // Readiness and the watchdog: ServiceManagerTests checks what the daemon sends.
        #expect(unit.contains("\nType=notify\n"))
        #expect(unit.contains("\nWatchdogSec="))
        #expect(unit.contains("ExecStart=/usr/sbin/understudy run "))
        let root = TestTree.makeTemporaryDirectory("unit")
        defer { TestTree.remove(root) }
        let path = root + "/understudy.service"
        try unit.replacingOccurrences(of: "/usr/sbin/understudy", with: DaemonProcess.binary)
            .write(toFile: path, atomically: true, encoding: .utf8)
        let (status, output) = try ChildProcess.run("/usr/bin/systemd-analyze", ["verify", "--man=no", path])
        #expect(status == 0, "\(output)")
        #expect(!output.contains(path), "systemd-analyze found problems: \(output)")
    }
}
