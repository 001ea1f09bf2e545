#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyNode
import UnderstudySupport

@Suite(.timeLimit(.minutes(1)))
struct ProcessRunnerTests {
    @Test func reportsExitStatus_andTime() async {
        let success = await ProcessRunner.run("true", timeout: 10)
        #expect(success.exitStatus == 0)
        #expect(success.succeeded)
        #expect(success.summary.hasPrefix("exit 0 in "))

        let failure = await ProcessRunner.run("exit 3", timeout: 10)
        #expect(failure.exitStatus == 3)
        #expect(!failure.succeeded)
        #expect(!failure.timedOut)
        #expect(failure.summary.hasPrefix("exit 3 in "))
    }

    @Test func capturesStdoutAndStderr_together() async {
        let outcome = await ProcessRunner.run("echo to-out; echo to-err >&2; echo again", timeout: 10)
        #expect(outcome.output == "to-out\nto-err\nagain\n")
        #expect(!outcome.outputTruncated)
    }

    @Test func cutsOutput_atLimit_andSaysSo() async {
        let outcome = await ProcessRunner.run("head -c 200000 /dev/zero | tr '\\0' a", timeout: 10, outputLimit: 1000)
        #expect(outcome.exitStatus == 0)
        #expect(outcome.outputTruncated)
        #expect(
            outcome.output.hasPrefix(
                String(repeating: "a", count: 1000) + "\n[output cut: 200000 bytes written, the first 1000 kept]"))
    }

    @Test func inheritsNoDescriptorOfTheDaemon_butItsOwnThree() async throws {
        // As a daemon's listening socket would be: open, and not close-on-exec.
        let descriptor = open("/dev/null", O_RDONLY)
        try #require(descriptor > 2)
        defer { close(descriptor) }
        let outcome = await ProcessRunner.run("ls /proc/self/fd", timeout: 10)
        let inherited = outcome.output.split(separator: "\n").compactMap { Int32($0) }
        #expect(!inherited.contains(descriptor), "\(inherited)")
        #expect(inherited.filter { $0 > 2 }.count <= 1, "only ls's own directory descriptor besides 0-2: \(inherited)")
    }

    @Test func passesExtraEnvironment_onTopOfTheDaemons() async {
        let outcome = await ProcessRunner.run(
            "printf '%s|%s' \"$UNDERSTUDY_TEST\" \"${PATH:+path}\"",
            environment: ["UNDERSTUDY_TEST": "it's here"], timeout: 10)
        #expect(outcome.output == "it's here|path")
    }

    @Test func givesDevNull_asStandardInput() async {
        let outcome = await ProcessRunner.run("cat; echo end", timeout: 5)
        #expect(outcome.output == "end\n")
        #expect(!outcome.timedOut)
    }

    @Test func killsAtTimeout_withSIGTERM() async {
        let outcome = await ProcessRunner.run("sleep 30", timeout: 0.3)
        #expect(outcome.timedOut)
        #expect(!outcome.succeeded)
        // SIGTERM ended it, not the SIGKILL that would follow 2 s later.
        #expect(outcome.signal == SIGTERM)
        #expect(outcome.duration < 1.9)
        #expect(outcome.summary == "killed after 0.3 s timeout")
    }

    @Test func killsWholeGroup_withSIGKILL_whenTERMIsIgnored() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pidFile = directory + "/child.pid"
        // Ignored signals stay ignored across exec, so the background sleep ignores TERM as well.
        let outcome = await ProcessRunner.run(
            "trap '' TERM; sleep 30 & echo $! > \(pidFile); echo started; wait",
            timeout: 0.3)
        #expect(outcome.timedOut)
        #expect(outcome.signal == SIGKILL)
        #expect(outcome.duration >= 2.2 && outcome.duration < 8)
        #expect(outcome.output == "started\n")
        let child = try #require(
            Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await eventuallyGone(child))
    }

    @Test func returnsAtShellExit_whenABackgroundProcessHoldsTheOutput() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pidFile = directory + "/child.pid"
        let outcome = await ProcessRunner.run("sleep 20 & echo $! > \(pidFile); echo done", timeout: 10)
        let child = Int32(
            try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
        if let child { kill(child, SIGKILL) }
        #expect(outcome.exitStatus == 0)
        #expect(outcome.output == "done\n")
        #expect(outcome.duration < 2)
    }

    @Test func reportsSpawnFailure_asOutcome() async {
        let outcome = await ProcessRunner.run(executable: "/nonexistent/sh", arguments: ["-c", "true"], timeout: 5)
        #expect(outcome.termination == .notStarted("/nonexistent/sh: No such file or directory"))
        #expect(!outcome.succeeded)
        #expect(outcome.summary == "could not start: /nonexistent/sh: No such file or directory")
    }

    @Test func runs20Concurrently_withoutHoldingTheCooperativePool() async {
        let started = ContinuousClock.now
        let outcomes = await withTaskGroup(of: ProcessOutcome.self) { group in
            for index in 0..<20 {
                group.addTask { await ProcessRunner.run("sleep 1; echo \(index)", timeout: 20) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let elapsed = ContinuousClock.now - started
        #expect(outcomes.count == 20)
        #expect(outcomes.allSatisfy { $0.exitStatus == 0 })
        #expect(Set(outcomes.map(\.output)) == Set((0..<20).map { "\($0)\n" }))
        // Twenty one-second sleeps on a two-thread pool would take ten seconds if each held a thread.
        #expect(elapsed < .seconds(8))
    }
}

func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "understudy-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A killed process may linger as a zombie of an init that does not reap (as in a container): it counts as gone.
private func eventuallyGone(_ pid: Int32) async -> Bool {
    for _ in 0..<100 {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        if let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z" { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return false
}
