#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Foundation
import NIOPosix
import UnderstudyCore
import UnderstudyFailover
import UnderstudyHealth
import UnderstudySupport

/// The part of a proof that runs inside its namespaces (`understudy proof-run PLAN`), as PID 1 of a new PID
/// namespace: it mounts the layers, brings up loopback with the service address, runs the start steps, polls the
/// checks until all pass or the time is up, runs the stop steps, and prints its `ProofOutcome`. When it returns, the
/// kernel ends everything the steps left running.
package enum ProofInside {
    /// How much of a step's output a proof keeps.
    static let outputKept = 8 * 1024

    /// Runs `plan`; never throws: every failure is the outcome's `problem`.
    package static func run(_ plan: ProofPlan) async -> ProofOutcome {
        var outcome = ProofOutcome()
        if let problem = prepare(plan) {
            outcome.problem = problem
            return outcome
        }
        if let syntax = plan.syntaxCheck {
            let step = await runStep("syntax check", syntax, plan)
            outcome.steps.append(step)
            guard step.passed else {
                outcome.problem =
                    "the configuration fails the service's syntax check (\(syntax)): \(step.summary)" + lastLine(step)
                return outcome
            }
        }
        let started = MonotonicClock.seconds()
        for (index, command) in plan.start.enumerated() {
            let step = await runStep("start \(index + 1)", command, plan)
            outcome.steps.append(step)
            if !step.passed {
                outcome.problem = "start step \(index + 1) (\(command)) failed: \(step.summary)" + lastLine(step)
                break
            }
        }
        if outcome.problem == nil {
            await poll(plan, started: started, into: &outcome)
        }
        for (index, command) in plan.stop.enumerated() {
            let step = await runStep("stop \(index + 1)", command, plan)
            outcome.steps.append(step)
            if !step.passed && outcome.problem == nil {
                outcome.problem = "stop step \(index + 1) (\(command)) failed: \(step.summary)" + lastLine(step)
            }
        }
        return outcome
    }

    /// The layers and the network; a problem, or nil.
    static func prepare(_ plan: ProofPlan) -> String? {
        guard getpid() == 1 else {
            return "proof-run must run as the first process of a new PID namespace (the daemon starts it so)"
        }
        // Shallowest first: a replica's layer lies over a private directory's that holds it, never under.
        let layers = plan.layers.sorted {
            $0.target.split(separator: "/").count < $1.target.split(separator: "/").count
        }
        for layer in layers {
            guard let options = layer.options else {
                return "cannot layer \(layer.target): a path holds ',', ':' or '\\'"
            }
            guard understudy_mount_overlay(layer.target, options) == 0 else {
                return "cannot layer a private overlay on \(layer.target): \(errnoText(errno))"
            }
        }
        // The primary's configuration files over the node's own (after the layers, which would hide them).
        for bind in plan.binds {
            guard understudy_bind(bind.source, bind.target) == 0 else {
                return "cannot lay the primary's \(bind.target) over this node's: \(errnoText(errno))"
            }
        }
        // systemd's sockets: a `systemctl start` in a proof would start the real unit outside it. Hidden, it fails and
        // says so (the proof's steps must start the service themselves).
        var ours = Set(plan.layers.map(\.target))
        for hidden in ProofPlan.hidden where FileManager.default.fileExists(atPath: hidden) {
            guard understudy_mount_tmpfs(hidden) == 0 else {
                return "cannot hide \(hidden) from the proof: \(errnoText(errno))"
            }
            ours.insert(hidden)
        }
        // Scratch space of its own, as a service expects it, where no layer lies below.
        let layered = plan.layers.flatMap { [$0.target, $0.upper] }
        for scratch in ProofPlan.scratchDirectories where FileManager.default.fileExists(atPath: scratch) {
            guard !layered.contains(where: { $0 == scratch || $0.hasPrefix(scratch + "/") }) else { continue }
            guard understudy_mount_tmpfs(scratch) == 0 else {
                return "cannot give the proof a \(scratch) of its own: \(errnoText(errno))"
            }
            ours.insert(scratch)
        }
        if let problem = lockDown(except: ours) { return problem }
        guard understudy_link_up("lo") == 0 else {
            return "cannot bring up the loopback interface of the proof's network: \(errnoText(errno))"
        }
        if let text = plan.serviceAddress {
            do {
                let address = try ServiceAddress.parse(text)
                try InterfaceAddresses.add(address, interface: "lo")
            } catch {
                return "cannot put the service address \(text) on the proof's loopback interface: \(error)"
            }
        }
        return nil
    }

    /// Runs every check until all pass once together, or until `plan.timeout` after `started`.
    static func poll(_ plan: ProofPlan, started: Double, into outcome: inout ProofOutcome) async {
        let checks = plan.checks.compactMap(\.configuration)
        guard checks.count == plan.checks.count else {
            outcome.problem = "a check of this group is of a kind this version cannot run"
            return
        }
        guard !checks.isEmpty else {
            outcome.rtoSeconds = MonotonicClock.seconds() - started
            return
        }
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        await pollChecks(checks, plan, loops: loops, started: started, into: &outcome)
        try? await loops.shutdownGracefully()
    }

    private static func pollChecks(
        _ checks: [CheckConfiguration], _ plan: ProofPlan, loops: MultiThreadedEventLoopGroup, started: Double,
        into outcome: inout ProofOutcome
    ) async {
        let probes = checks.map { CheckProbe(check: $0, group: loops, inProof: true) }
        let pause = max(0.05, min(1, checks.map(\.interval.seconds).min() ?? 0.2))
        // Bounded by the deadline; the count bound only guards against a clock that does not move.
        for _ in 0..<1_000_000 {
            var results: [ProofRecord.Check] = []
            for (check, probe) in zip(checks, probes) {
                let result = await probe.run()
                results.append(ProofRecord.Check(name: check.name, passed: result.passed, message: result.message))
            }
            outcome.checks = results
            let now = MonotonicClock.seconds()
            if results.allSatisfy(\.passed) {
                outcome.rtoSeconds = now - started
                return
            }
            if now - started >= plan.timeout {
                let failing = results.filter { !$0.passed }
                outcome.problem =
                    "check \(failing[0].name) still fails \(Int(plan.timeout)) s after the first start step: \(failing[0].message)"
                    + (failing.count > 1 ? " (and \(failing.count - 1) more)" : "")
                return
            }
            try? await Task.sleep(for: .milliseconds(Int64(min(pause, plan.timeout - (now - started)) * 1000)))
        }
    }

    static func runStep(_ name: String, _ command: String, _ plan: ProofPlan) async -> ProofRecord.Step {
        let outcome = await ProcessRunner.run(command, environment: plan.environment, timeout: plan.scriptTimeout)
        var output = outcome.output
        if output.utf8.count > outputKept {
            output = String(decoding: output.utf8.prefix(outputKept), as: UTF8.self) + "\n[...]"
        }
        return ProofRecord.Step(
            name: name, command: command, passed: outcome.succeeded, seconds: outcome.duration,
            summary: outcome.summary, output: output)
    }

    static func lastLine(_ step: ProofRecord.Step) -> String {
        step.output.split(separator: "\n").last.map { ": " + $0.prefix(300) } ?? ""
    }

    /// `understudy proof-run PLAN`: reads the plan, runs it, prints the outcome after `ProofOutcome.marker`.
    package static func main(planPath: String) async -> Int32 {
        var outcome = ProofOutcome()
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: planPath))
            outcome = await run(try JSONDecoder().decode(ProofPlan.self, from: data))
        } catch {
            outcome.problem = "cannot read the proof's plan \(planPath): \(error)"
        }
        guard let encoded = try? JSONEncoder().encode(outcome), let line = String(data: encoded, encoding: .utf8)
        else { return 1 }
        FileHandle.standardOutput.write(Data(("\n" + ProofOutcome.marker + line + "\n").utf8))
        return 0
    }
}
