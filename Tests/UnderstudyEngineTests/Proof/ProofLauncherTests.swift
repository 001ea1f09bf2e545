#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOConcurrencyHelpers
import UnderstudyCore
import Testing
@testable import UnderstudyProof

/// `ProofLauncher` with the built binary (as root): a proof the daemon must end (its node began serving the group)
/// ends at once with that reason and leaves nothing running; a plan that cannot be read is a proof's problem.
@Suite(.serialized)
struct ProofLauncherTests {
    static func write(_ plan: ProofPlan, in directory: String) throws -> String {
        let path = directory + "/plan.json"
        try JSONEncoder().encode(plan).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func aProofTheNodeMustEnd_endsAtOnce_withTheReason_andLeavesNothingRunning() async throws {
        let directory = TestTree.makeTemporaryDirectory("proof-launcher")
        defer { TestTree.remove(directory) }
        let marker = "sleep 3\(Int.random(in: 100...999)).5"
        let plan = ProofPlan(
            group: "web", node: "beta", peer: "alpha", layers: [], serviceAddress: nil,
            start: ["\(marker) >/dev/null 2>&1 &"], stop: [], scriptTimeout: 5,
            checks: [.init(CheckConfiguration(name: "never", probe: .command("false")))], timeout: 60)
        let path = try Self.write(plan, in: directory)
        let serving = NIOLockedValueBox(false)
        let launcher = ProofLauncher(executable: DaemonProcess.binary)
        let started = ContinuousClock.now
        let ending = Task {
            await launcher.run(
                planPath: path, limit: 90, keepGoing: { !serving.withLockedValue { $0 } },
                stopReason: "this node began serving the group")
        }
        // Whatever happens below, the proof is ended (and waited for) before the test ends.
        defer { serving.withLockedValue { $0 = true } }
        #expect(try await ProofLab.wait(until: marker, running: true), "the proof's step never ran")
        serving.withLockedValue { $0 = true }
        let outcome = await ending.value
        #expect(ContinuousClock.now - started < .seconds(20), "it ran on to its timeout")
        #expect(outcome.problem?.contains("this node began serving the group") == true, "\(outcome.problem ?? "")")
        #expect(try await ProofLab.wait(until: marker, running: false, seconds: 5), "its step is still running")
    }

    @Test func aPlanThatCannotBeRead_isTheProofsProblem() async throws {
        let launcher = ProofLauncher(executable: DaemonProcess.binary)
        let outcome = await launcher.run(planPath: "/nonexistent/plan.json", limit: 30)
        #expect(outcome.problem?.contains("cannot read the proof's plan /nonexistent/plan.json") == true, "\(outcome)")
    }
}
