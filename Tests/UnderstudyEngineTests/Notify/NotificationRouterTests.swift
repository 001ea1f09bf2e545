import Logging
import NIOConcurrencyHelpers
import Testing
import UnderstudyCore
@testable import UnderstudyNotify

/// A reload that changed `[notify]` replaces the node's channels: events from then on go to the new ones, and what
/// the old ones still held is delivered, not dropped.
struct NotificationRouterTests {
    final class Recorder: NotificationChannel, @unchecked Sendable {
        let name: String
        let delivered = NIOLockedValueBox<[String]>([])
        let gate: NIOLockedValueBox<Bool>

        init(_ name: String, open: Bool = true) {
            self.name = name
            gate = NIOLockedValueBox(open)
        }

        func deliver(_ message: NotificationMessage) async throws {
            for _ in 0..<500 where !gate.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
            delivered.withLockedValue { $0.append(message.event.summary) }
        }
    }

    func event(_ summary: String) -> NotificationEvent {
        NotificationEvent(kind: .linkDown, severity: .warning, node: "alpha", summary: summary, time: 0)
    }

    @Test func afterAReplacement_eventsGoToTheNewChannels_andTheOldOnesDeliverWhatTheyHeld() async {
        let old = Recorder("old", open: false)
        let new = Recorder("new")
        let logger = Logger(label: "test")
        let router = NotificationRouter(
            NotificationService(channels: [old], repeatAfter: 0, logger: logger), logger: logger)
        router.notify(event("before"))
        let draining = router.replace(with: NotificationService(channels: [new], repeatAfter: 0, logger: logger))
        router.notify(event("after"))
        old.gate.withLockedValue { $0 = true }
        await draining.value
        #expect(old.delivered.withLockedValue { $0 } == ["before"])
        #expect(await router.service.drain(timeout: 5))
        #expect(new.delivered.withLockedValue { $0 } == ["after"])
        #expect(router.service.channels.map(\.name) == ["new"])
    }
}
