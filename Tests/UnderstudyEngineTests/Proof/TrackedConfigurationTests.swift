#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyControl
import UnderstudyCore
@testable import UnderstudySupport

/// The tracked configuration on two real nodes (processes of the built binary, as root): the primary records each
/// change of its configuration files as a version with its diff and rolls one back; the standby keeps a copy, proves
/// the group at once on each new version with its own substitutions laid over its files inside the proof (its own
/// files stay untouched), reports a version that fails the syntax check before any failover, and puts the
/// substituted files in place at takeover, keeping its own.
@Suite(.serialized)
struct TrackedConfigurationTests {
    @Test func changes_areVersionedWithTheirDiff_provenAtOnceOnTheStandby_rolledBack_andPutInPlaceAtTakeover()
        async throws
    {
        let root = TestTree.makeTemporaryDirectory("tracked")
        defer { TestTree.remove(root) }
        let etc = root + "/etc-app"
        let conf = etc + "/app.conf"
        try FileManager.default.createDirectory(atPath: etc + "/sites", withIntermediateDirectories: true)
        try "listen alpha.lan\nsetting = 1\n".write(toFile: conf, atomically: true, encoding: .utf8)
        try "site one\n".write(toFile: etc + "/sites/one.conf", atomically: true, encoding: .utf8)
        let cluster = try ProofLab.cluster(
            label: "tracked",
            groupExtra: """
                failover = "manual"
                verify_every = "1h"
                proof_timeout = "20s"
                config_files = ["\(conf)", "\(etc)/sites"]
                syntax_check = "grep -q '^setting = ' \(conf)"
                start = [
                  "test x$UNDERSTUDY_NODE = xalpha || grep -q 'listen beta.lan' \(conf) || { echo 'not the substituted configuration'; exit 4; }",
                ]

                [groups.files.config_substitutions.beta]
                "alpha.lan" = "beta.lan"
                """)
        defer { Task { await cluster.remove() } }
        try "a".write(toFile: cluster.source + "/a.txt", atomically: true, encoding: .utf8)
        let pair = try DaemonPair(cluster)
        defer { pair.terminate() }
        let alpha = cluster.control("alpha")
        let beta = cluster.control("beta")
        func history(_ client: ControlClient, _ path: String? = nil) async throws -> [ConfigVersionSummary] {
            let response = try await onThread {
                try client.send(.configHistory(group: "files", path: path, limit: 50), waitingUpTo: 30)
            }
            return response.configVersions ?? []
        }
        /// Waits until `node`'s copy holds version `version` of `path`.
        func holds(_ client: ControlClient, _ path: String, version: Int) async throws -> Bool {
            for _ in 0..<300 {
                if try await history(client, path).contains(where: { $0.version == version }) { return true }
                try await Task.sleep(for: .milliseconds(100))
            }
            return false
        }
        /// Waits for a proof on beta made for a configuration change that ran on `version` of the file.
        func changeProof(_ version: Int) async throws -> ProofRecord? {
            for _ in 0..<600 {
                let response = try await onThread { try beta.send(.proofs(group: "files", limit: 50), waitingUpTo: 30) }
                let made = (response.proofs ?? []).filter {
                    $0.reason.contains("configuration changed")
                        && ($0.configuration ?? []).contains("\(conf) version \(version)")
                }
                if let proof = made.first { return proof }
                try await Task.sleep(for: .milliseconds(100))
            }
            return nil
        }

        // Both files are tracked on alpha, and beta's copy follows.
        #expect(try await holds(alpha, conf, version: 1), "\(DaemonPair.text(pair.alphaLog).suffix(2000))")
        #expect(try await holds(beta, conf, version: 1), "\(DaemonPair.text(pair.betaLog).suffix(2000))")
        #expect(try await holds(beta, etc + "/sites/one.conf", version: 1))

        // A change is a version with its diff, and beta proves the group on it at once, substituted in the proof
        // only: the host's file still names alpha.
        try "listen alpha.lan\nsetting = 2\n".write(toFile: conf, atomically: true, encoding: .utf8)
        #expect(try await holds(alpha, conf, version: 2))
        let diff = try await onThread { try alpha.send(.configDiff(group: "files", path: conf), waitingUpTo: 30) }
        let text = diff.message ?? ""
        #expect(text.contains("-setting = 1\n+setting = 2\n") && text.contains("(version 1)"), "\(diff)")
        // The same on the command line, which asks the group's primary by default.
        let (diffStatus, diffOutput) = try ChildProcess.run(
            DaemonProcess.binary, ["config", "diff", "files", conf, "--config", cluster.configPath])
        #expect(diffStatus == 0 && diffOutput.contains("+setting = 2"), "\(diffOutput)")
        let (listStatus, listOutput) = try ChildProcess.run(
            DaemonProcess.binary, ["config", "history", "files", "--config", cluster.configPath])
        #expect(listStatus == 0 && listOutput.contains("\(conf)  version 2"), "\(listOutput)")
        let (badStatus, badOutput) = try ChildProcess.run(
            DaemonProcess.binary, ["config", "history", "nope", "--node", "alpha", "--config", cluster.configPath])
        #expect(badStatus != 0 && badOutput.contains("no group 'nope'"), "\(badOutput)")
        #expect(try await holds(beta, conf, version: 2))
        let proven = try #require(try await changeProof(2), "\(DaemonPair.text(pair.betaLog).suffix(3000))")
        #expect(proven.passed, "\(proven.problem ?? "")")
        #expect(
            proven.configuration?.contains("\(etc)/sites/one.conf version 1") == true, "\(proven.configuration ?? [])")
        #expect(proven.steps.contains { $0.name.contains("start") && $0.passed }, "\(proven.steps)")
        #expect(try String(contentsOfFile: conf, encoding: .utf8).contains("listen alpha.lan"))

        // A version that fails the syntax check is reported by the proof it starts, before any failover.
        try "listen alpha.lan\nsettings are gone\n".write(toFile: conf, atomically: true, encoding: .utf8)
        #expect(try await holds(beta, conf, version: 3))
        let failed = try #require(try await changeProof(3), "\(DaemonPair.text(pair.betaLog).suffix(3000))")
        #expect(!failed.passed)
        #expect(failed.problem?.contains("syntax") == true, "\(failed.problem ?? "")")

        // A rollback writes version 2 back, recorded as version 4; beta proves it ready again.
        let refused = try await onThread {
            try beta.send(.configRollback(group: "files", path: conf, version: 2), waitingUpTo: 30)
        }
        #expect(refused.code == "not-tracker", "\(refused)")
        let unknown = try await onThread {
            try alpha.send(.configRollback(group: "files", path: conf, version: 99), waitingUpTo: 30)
        }
        #expect(unknown.code == "unknown-version", "\(unknown)")
        #expect(try String(contentsOfFile: conf, encoding: .utf8).contains("settings are gone"))
        let rolled = try await onThread {
            try alpha.send(.configRollback(group: "files", path: conf, version: 2), waitingUpTo: 30)
        }
        #expect(rolled.ok, "\(rolled)")
        #expect(try String(contentsOfFile: conf, encoding: .utf8) == "listen alpha.lan\nsetting = 2\n")
        let newest = try #require(try await history(alpha, conf).first)
        #expect(newest.version == 4 && newest.note == "rollback to 2", "\(newest)")
        #expect(try await holds(beta, conf, version: 4))
        let again = try #require(try await changeProof(4))
        #expect(again.passed, "\(again.problem ?? "")")

        // Takeover: alpha is gone; beta puts the primary's files in place, substituted, and keeps its own.
        pair.alpha.terminate()
        let takeover = try await onThread { try beta.send(.failover(group: "files", force: true), waitingUpTo: 60) }
        #expect(takeover.ok, "\(takeover)")
        var placed = false
        for _ in 0..<200 where !placed {
            placed = (try? String(contentsOfFile: conf, encoding: .utf8)) == "listen beta.lan\nsetting = 2\n"
            if !placed { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(placed, "\(DaemonPair.text(pair.betaLog).suffix(3000))")
        let kept = cluster.root + "/beta-state/config-before-takeover/files"
        let stamps = (try? FileManager.default.contentsOfDirectory(atPath: kept)) ?? []
        let keptCopy = stamps.first.map { kept + "/" + $0 + conf }
        #expect(
            keptCopy.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } == "listen alpha.lan\nsetting = 2\n",
            "\(stamps)")
        #expect(DaemonPair.text(pair.betaLog).contains("put the primary's \(conf) (version 4) in place"))
    }
}
