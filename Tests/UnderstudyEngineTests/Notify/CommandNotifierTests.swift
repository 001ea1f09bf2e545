import Foundation
import Testing
import UnderstudyCore
import UnderstudyNode
import UnderstudyNotify

@Suite(.timeLimit(.minutes(1)))
struct CommandNotifierTests {
    static let event = NotificationEvent(
        kind: .takeoverFinished, severity: .critical, node: "beta", group: "web", topic: "",
        summary: "beta took over group web (epoch 3) in 0.42 s",
        detail: "fence: exit 0\nstart: exit 0 'quoted' $HOME", time: 1_790_000_000)

    @Test func passesEventInEnvironment() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let notifier = CommandNotifier(configuration: CommandNotification(command: "env > \(directory)/env"))
        try await notifier.deliver(
            NotificationMessage(event: Self.event, suppressedRepeats: 3, repeatsSince: 1_789_999_000))
        let text = try String(contentsOfFile: directory + "/env", encoding: .utf8)
        #expect(text.contains("UNDERSTUDY_EVENT=takeover-finished\n"))
        #expect(text.contains("UNDERSTUDY_SEVERITY=critical\n"))
        #expect(text.contains("UNDERSTUDY_NODE=beta\n"))
        #expect(text.contains("UNDERSTUDY_GROUP=web\n"))
        #expect(text.contains("UNDERSTUDY_TOPIC=\n"))
        #expect(text.contains("UNDERSTUDY_SUMMARY=beta took over group web (epoch 3) in 0.42 s\n"))
        #expect(text.contains("UNDERSTUDY_DETAIL=fence: exit 0\nstart: exit 0 'quoted' $HOME\n"))
        #expect(text.contains("UNDERSTUDY_TIME=2026-09-21T14:13:20Z\n"))
        #expect(text.contains("UNDERSTUDY_REPEATS=3\n"))
    }

    @Test func failsWithExitStatusAndOutput_onNonZeroExit() async {
        let notifier = CommandNotifier(
            configuration: CommandNotification(command: "echo pager unreachable >&2; exit 4"))
        let error = await #expect(throws: CommandNotifierError.self) {
            try await notifier.deliver(NotificationMessage(event: Self.event))
        }
        #expect(error?.outcome.exitStatus == 4)
        #expect(
            error?.description.hasPrefix("notification command echo pager unreachable >&2; exit 4: exit 4 in ") == true)
        #expect(error?.description.hasSuffix("; output:\npager unreachable") == true)
    }

    @Test func failsOnTimeout() async {
        let notifier = CommandNotifier(
            configuration: CommandNotification(command: "sleep 10", timeout: ConfigDuration(seconds: 0.2)))
        let error = await #expect(throws: CommandNotifierError.self) {
            try await notifier.deliver(NotificationMessage(event: Self.event))
        }
        #expect(error?.description == "notification command sleep 10: killed after 0.2 s timeout")
    }
}
