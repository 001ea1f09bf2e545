#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudyNotify

/// Traps to a real Net-SNMP snmptrapd on loopback: SNMPv2c with a community, SNMPv3 authenticated with SHA and
/// SHA-256, and a wrong password that the manager refuses.
@Suite(.serialized)
struct SNMPTrapSenderTests {
    static let engineID: [UInt8] = SNMPNotification.defaultEngineID(node: "alpha")
    static var engineHex: String { "0x" + engineID.map { String(format: "%02x", $0) }.joined() }

    /// snmptrapd in the foreground, logging to a file, with its own configuration and state directory.
    final class TrapReceiver {
        let directory: String
        let port: Int
        let process = Process()

        init(users: [String]) throws {
            directory = TestTree.makeTemporaryDirectory("snmptrapd")
            port = try TestPorts.take()
            let conf = ["authCommunity log public", "disableAuthorization no"] + users
            try conf.joined(separator: "\n").write(
                toFile: directory + "/snmptrapd.conf", atomically: true, encoding: .utf8)
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/snmptrapd")
            process.arguments = [
                "-f", "-C", "-c", directory + "/snmptrapd.conf", "-Lf", directory + "/traps.log", "-On",
                "-p", directory + "/pid", "udp:127.0.0.1:\(port)",
            ]
            process.environment = ["SNMP_PERSISTENT_DIR": directory, "MIBS": ""]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Ready once it has written its pid file.
            for _ in 0..<300 where !FileManager.default.fileExists(atPath: directory + "/pid") { usleep(10_000) }
        }

        var log: String { Self.log(in: directory) }

        static func log(in directory: String) -> String {
            (try? String(contentsOfFile: directory + "/traps.log", encoding: .utf8)) ?? ""
        }

        /// Polled without holding a thread of the pool.
        func waitFor(_ text: String, seconds: Double = 5) async -> Bool {
            let directory = directory
            return await eventually(seconds: seconds) { Self.log(in: directory).contains(text) }
        }

        /// SIGTERM, then SIGKILL; reaped with a bounded wait (not `waitUntilExit`, seen to spin).
        func stop() {
            let pid = process.processIdentifier
            kill(pid, SIGTERM)
            var status: Int32 = 0
            var reaped = false
            for attempt in 0..<200 where !reaped {
                if attempt == 100 { kill(pid, SIGKILL) }
                reaped = waitpid(pid, &status, WNOHANG) != 0
                if !reaped { usleep(10_000) }
            }
            TestTree.remove(directory)
        }
    }

    static func message(_ summary: String) -> NotificationMessage {
        NotificationMessage(
            event: NotificationEvent(
                kind: .takeoverFinished, severity: .critical, node: "beta", group: "web", topic: "",
                summary: summary, detail: "added 10.0.0.100/24 on eth0", time: 1_795_000_000))
    }

    static func sender(_ security: SNMPNotification.Security, port: Int, state: String) throws -> SNMPTrapSender {
        try SNMPTrapSender(
            configuration: SNMPNotification(
                target: try PeerAddress.parse("127.0.0.1:\(port)"), security: security,
                engineID: engineID),
            node: "alpha", stateDirectory: state)
    }

    @Test func theKeyLocalization_matchesRFC3414sVector() {
        let engine: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]
        let key = SNMPTrapSender.localizedKey(password: "maplesyrup", engineID: engine, auth: .sha)
        #expect(key.map { String(format: "%02x", $0) }.joined() == "6695febc9288e36282235fc7151f128497b38f3f")
    }

    @Test func aV2cTrap_reachesSnmptrapd_withTheEventsText() async throws {
        let receiver = try TrapReceiver(users: [])
        defer { receiver.stop() }
        let sender = try Self.sender(.community("public"), port: receiver.port, state: receiver.directory)
        try await sender.deliver(Self.message("beta took over group web at epoch 1 (v2c)"))
        #expect(await receiver.waitFor("beta took over group web at epoch 1 (v2c)"), "\(receiver.log)")
        #expect(receiver.log.contains(".1.3.6.1.4.1.8072.9999.9999.7347.0.1"), "the trap OID: \(receiver.log)")
        #expect(receiver.log.contains("takeover-finished"))
    }

    @Test(arguments: [SNMPNotification.AuthProtocol.sha, .sha256])
    func aV3TrapAuthenticatedWithTheRightPassword_isAccepted_andWithAWrongOne_isNot(
        auth: SNMPNotification.AuthProtocol
    ) async throws {
        let protocolName = auth == .sha ? "SHA" : "SHA-256"
        let receiver = try TrapReceiver(users: [
            "createUser -e \(Self.engineHex) understudy \(protocolName) correct-horse-battery",
            "authUser log understudy auth",
        ])
        defer { receiver.stop() }
        try "correct-horse-battery\n".write(toFile: receiver.directory + "/right", atomically: true, encoding: .utf8)
        try "wrong-password-here\n".write(toFile: receiver.directory + "/wrong", atomically: true, encoding: .utf8)
        let wrong = try Self.sender(
            .user(name: "understudy", auth: auth, passwordFile: receiver.directory + "/wrong"), port: receiver.port,
            state: receiver.directory)
        try await wrong.deliver(Self.message("forged by someone without the password"))
        let right = try Self.sender(
            .user(name: "understudy", auth: auth, passwordFile: receiver.directory + "/right"), port: receiver.port,
            state: receiver.directory)
        try await right.deliver(Self.message("beta took over group web (v3 \(protocolName))"))
        #expect(await receiver.waitFor("beta took over group web (v3 \(protocolName))"), "\(receiver.log)")
        #expect(
            !receiver.log.contains("forged by someone without the password"),
            "a trap with a wrong password was accepted")
    }

    @Test func aPasswordShorterThanEight_isRefusedAtStart() throws {
        let directory = TestTree.makeTemporaryDirectory("snmp-short")
        defer { TestTree.remove(directory) }
        try "short\n".write(toFile: directory + "/pw", atomically: true, encoding: .utf8)
        #expect(throws: SNMPTrapError.self) {
            try Self.sender(
                .user(name: "u", auth: .sha256, passwordFile: directory + "/pw"), port: 162, state: directory)
        }
    }
}
