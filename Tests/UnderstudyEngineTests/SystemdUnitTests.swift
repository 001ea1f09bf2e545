import Foundation
import Testing

/// The systemd unit the project ships (`dist/understudy.service`) passes `systemd-analyze verify` with the built
/// binary in place of /usr/sbin/understudy, and reloads with SIGHUP (which the daemon survives: CommandLineTests).
struct SystemdUnitTests {
    static var unitPath: String {
        // Tests/UnderstudyEngineTests/SystemdUnitTests.swift → the repository's root.
        var root = #filePath as NSString
        for _ in 0..<3 { root = root.deletingLastPathComponent as NSString }
        return (root as String) + "/dist/understudy.service"
    }

    @Test func theShippedUnit_verifies_andReloadsWithSIGHUP() throws {
        let unit = try String(contentsOfFile: Self.unitPath, encoding: .utf8)
        #expect(unit.contains("ExecReload=/bin/kill -HUP $MAINPID"))
        #expect(unit.contains("ExecStart=/usr/sbin/understudy run "))
        let root = TestTree.makeTemporaryDirectory("unit")
        defer { TestTree.remove(root) }
        let path = root + "/understudy.service"
        try unit.replacingOccurrences(of: "/usr/sbin/understudy", with: DaemonProcess.binary)
            .write(toFile: path, atomically: true, encoding: .utf8)
        let (status, output) = try ChildProcess.run("/usr/bin/systemd-analyze", ["verify", path])
        #expect(status == 0, "\(output)")
        #expect(!output.contains(path), "systemd-analyze found problems: \(output)")
    }
}
