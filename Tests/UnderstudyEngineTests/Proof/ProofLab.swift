import Foundation
import Testing
import UnderstudyControl
import UnderstudyCore
@testable import UnderstudySupport

/// What the proof tests share: a two-node cluster whose nodes hear each other on loopback (a group's start steps and
/// checks need links), and a look at the machine's processes.
enum ProofLab {
    /// A `TestCluster` with heartbeats on a link between alpha (127.0.0.1) and beta (127.0.0.2); `trailer` goes after
    /// the share (checks), `groupExtra` into `[groups.files]`.
    static func cluster(label: String, groupExtra: String, trailer: String = "") throws -> TestCluster {
        try TestCluster(
            label: label, groupExtra: groupExtra,
            trailer: """
                \(trailer)

                [heartbeat]
                port = \(try TestPorts.take())
                interval = "200ms"
                dead_time = "30s"
                """,
            nodeExtra: [
                "alpha": "[nodes.alpha.links]\nlan = \"127.0.0.1\"", "beta": "[nodes.beta.links]\nlan = \"127.0.0.2\"",
            ])
    }

    /// True when a process whose command line contains `text` runs now.
    static func isRunning(_ text: String) throws -> Bool {
        try ChildProcess.run("/bin/ps", ["-eo", "args"]).output.contains(text)
    }

    /// Waits (at most `seconds`) until such a process runs (`running`) or none does; whether it came to be.
    static func wait(until text: String, running: Bool, seconds: Double = 10) async throws -> Bool {
        for _ in 0..<Int(seconds * 20) {
            if try isRunning(text) == running { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try isRunning(text) == running
    }

    /// `understudy recipe setup files` on alpha (expected to name `canary`), the canary mirrored to beta, then a proof
    /// asked of beta: its record.
    static func setUpAndProve(_ pair: DaemonPair, canary: String) async throws -> ProofRecord {
        let cluster = pair.cluster
        let (status, output) = try ChildProcess.run(
            DaemonProcess.binary, ["recipe", "setup", "files", "--node", "alpha", "--config", cluster.configPath])
        #expect(status == 0 && output.contains(canary), "\(output)")
        #expect(try await pair.arrives(canary, 60), "\(DaemonPair.text(pair.betaLog).suffix(2000))")
        let response = try await onThread {
            try cluster.control("beta").send(.verify(group: "files"), waitingUpTo: 30)
        }
        return try #require(response.proofs?.first, "\(response)")
    }
}
