#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyControl
import UnderstudyCore
@testable import UnderstudySupport

/// `understudy verify` on a real standby (both nodes are processes of the built binary, as root): the group's web
/// service runs on a snapshot of the replica in private namespaces carrying the service address, and its check
/// fetches the mirrored canary page through that address. A healthy group is proven with figures and leaves nothing
/// behind; a broken start step and a replica missing the canary are each reported by the next proof with the reason;
/// a proof killed midway, or with its daemon, leaves no process or mount.
@Suite(.serialized)
struct ProofServiceTests {
    @Test func aProof_passesOnAHealthyReplica_touchesNothingLive_andReportsABrokenStartAndAMissingCanary()
        async throws
    {
        let servicePort = try TestPorts.take()
        // The primary (alpha, on this machine too) serves its source there; a proof on beta serves the replica's
        // snapshot at the same address in its own network namespace.
        let address = "10.213.\(servicePort % 200).100"
        let root = TestTree.makeTemporaryDirectory("proof-flag")
        defer { TestTree.remove(root) }
        let breakFlag = root + "/break-start"
        let cluster = try ProofLab.cluster(
            label: "proof",
            groupExtra: """
                service_address = "\(address)/24"
                interface = "lo"
                failover = "manual"
                verify_every = "off"
                proof_timeout = "20s"
                start = [
                  "test ! -e \(breakFlag) || { echo 'the start step was told to break'; exit 3; }",
                  "test x$UNDERSTUDY_PROOF != x1 || { echo written by the proof > '$REPLICA/proof-wrote-this.txt' && ! (echo no > '@ROOT@/outside.txt') 2>/dev/null; }",
                  "d='$REPLICA'; test x$UNDERSTUDY_NODE = xbeta || d='@ROOT@/source'; python3 -m http.server --bind \(address) \(servicePort) --directory $d >/dev/null 2>&1 &",
                ]
                stop = ["echo stopping"]
                """
                .replacingOccurrences(of: "$REPLICA", with: "@ROOT@/replica"),
            trailer: """
                [[groups.files.checks]]
                name = "canary"
                type = "http"
                url = "http://\(address):\(servicePort)/canary.html"
                expect_body = "canary 1"
                timeout = "1s"
                """)
        defer { Task { await cluster.remove() } }
        // Alpha's own service, started as the primary's at its start, outlives the daemon (as services do).
        defer { _ = try? ChildProcess.run("/usr/bin/pkill", ["-9", "-f", "http.server --bind \(address) "]) }
        try "canary 1".write(toFile: cluster.source + "/canary.html", atomically: true, encoding: .utf8)
        let pair = try DaemonPair(cluster)
        defer { pair.terminate() }
        #expect(try await pair.arrives("canary.html", 60), "\(DaemonPair.text(pair.betaLog).suffix(2000))")
        let beta = cluster.control("beta")
        func verify() async throws -> ProofRecord {
            let response = try await onThread { try beta.send(.verify(group: "files"), waitingUpTo: 30) }
            return try #require(response.proofs?.first, "\(response.error ?? "no proof") \(response)")
        }
        func readiness() async throws -> Readiness? {
            let response = try await onThread { try beta.send(.status, waitingUpTo: 30) }
            return response.status?.groups.first { $0.name == "files" }?.readiness
        }
        #expect(try await readiness()?.state == .unproven)

        // A healthy group: proven, with both figures.
        let proof = try await verify()
        #expect(proof.passed, "\(proof.problem ?? "") \(proof.steps) \(proof.checks)")
        #expect(proof.rtoSeconds != nil && proof.rpoSeconds != nil)
        #expect(proof.checks.map(\.name) == ["canary"] && proof.checks.allSatisfy(\.passed), "\(proof.checks)")
        #expect(proof.snapshotFiles >= 1)
        let ready = try #require(try await readiness())
        #expect(ready.state == .ready && ready.line.hasPrefix("ready: proven"), "\(ready.line)")

        // Nothing live was touched, and nothing of the proof is left.
        let wrote = "/proof-wrote-this.txt"
        #expect(!FileManager.default.fileExists(atPath: cluster.replica + wrote), "the live replica was written")
        #expect(!FileManager.default.fileExists(atPath: cluster.source + wrote))
        #expect(
            !FileManager.default.fileExists(atPath: cluster.root + "/outside.txt"), "a proof wrote outside its layers")
        #expect(!(try ProofLab.isRunning("--directory \(cluster.replica)")), "a service of the proof is still running")
        let (_, addresses) = try ChildProcess.run("/usr/sbin/ip", ["-o", "addr"])
        #expect(
            addresses.components(separatedBy: "inet \(address)/").count == 2,
            "the service address is on this machine once, for alpha: \(addresses)")
        let mounts = try String(contentsOfFile: "/proc/mounts", encoding: .utf8)
        #expect(!mounts.contains(cluster.root), "a mount of the proof is left: \(mounts)")
        let scratch = cluster.root + "/.replica.understudy-proof"
        var leftovers: [String] = []
        for _ in 0..<100 {
            leftovers = (try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? []
            if leftovers.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(leftovers.isEmpty, "the proof's directories are left: \(leftovers)")

        // A start step that fails: reported with its exit and output.
        try "".write(toFile: breakFlag, atomically: true, encoding: .utf8)
        let broken = try await verify()
        #expect(!broken.passed)
        #expect(broken.problem?.contains("start step 1") == true, "\(broken.problem ?? "")")
        #expect(broken.problem?.contains("exit") == true && broken.problem?.contains("told to break") == true)
        #expect(try await readiness()?.line.hasPrefix("NOT READY") == true)
        unlink(breakFlag)

        // A replica without the canary: the check says so.
        try "something else".write(toFile: cluster.source + "/canary.html", atomically: true, encoding: .utf8)
        var changed = false
        for _ in 0..<600 where !changed {
            changed =
                (try? String(contentsOfFile: cluster.replica + "/canary.html", encoding: .utf8)) == "something else"
            if !changed { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(changed)
        // The mirror goes on while the proof runs (its check fails for proof_timeout, 20 s).
        let askedAt = ContinuousClock.now
        let proving = Task { try await verify() }
        try await Task.sleep(for: .seconds(2))
        try "during".write(toFile: cluster.source + "/during-proof.txt", atomically: true, encoding: .utf8)
        #expect(try await pair.arrives("during-proof.txt", 10), "the mirror waited for the proof")
        let arrivedAfter = ContinuousClock.now - askedAt
        let missing = try await proving.value
        #expect(
            arrivedAfter < .milliseconds(Int64(missing.seconds * 1000)),
            "the change arrived after the proof (\(arrivedAfter)), not during it (\(missing.seconds) s)")
        #expect(!missing.passed)
        #expect(missing.problem?.contains("check canary") == true, "\(missing.problem ?? "")")
        #expect(missing.checks.first?.passed == false)

        // A proof killed midway (its unshare, as a timeout or an administrator would): the kernel ends everything it
        // started, and the daemon records why.
        let killed = Task { try await verify() }
        let service = "--directory \(cluster.replica)"
        #expect(try await ProofLab.wait(until: service, running: true), "the proof's service never ran")
        _ = try ChildProcess.run("/usr/bin/pkill", ["-9", "-f", "^/usr/bin/unshare .*proof-run \(cluster.root)"])
        let cut = try await killed.value
        #expect(!cut.passed && cut.problem?.contains("without a result") == true, "\(cut.problem ?? "")")
        #expect(
            try await ProofLab.wait(until: service, running: false, seconds: 5), "a service of the killed proof runs")
        #expect(!(try String(contentsOfFile: "/proc/mounts", encoding: .utf8)).contains(cluster.root))

        // The record keeps every proof, newest first.
        let history = try await onThread { try beta.send(.proofs(group: "files", limit: 10), waitingUpTo: 30) }
        #expect(history.proofs?.map(\.passed) == [false, false, false, true], "\(history)")
        // The primary is not where proofs run: it says where.
        let alphaAnswer = try await onThread {
            try cluster.control("alpha").send(.verify(group: "files"), waitingUpTo: 30)
        }
        #expect(!alphaAnswer.ok)

        // The daemon killed midway (kill -9, outside any service manager): its proof goes with it.
        let orphaned = Task { try? await verify() }
        #expect(try await ProofLab.wait(until: service, running: true), "the proof's service never ran")
        pair.beta.kill9()
        _ = await orphaned.value
        let left = !(try await ProofLab.wait(until: service, running: false, seconds: 5))
        #expect(!left, "the proof of a killed daemon is still running")
    }
}
