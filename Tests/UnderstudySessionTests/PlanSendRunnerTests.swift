import Testing
import UnderstudyCore
import UnderstudySession
import UnderstudyWire

/// The primary's runner (`PlanSendRunner`) tells its source which files a batch sends whole before it sends the
/// first of them, so the source may read them ahead; deltas are not among them, and the order stays the plan's.
@Suite struct PlanSendRunnerTests {
    @Test func aBatch_announcesItsWholeFilesInOrder_beforeSendingAny_andLeavesDeltasOut() async throws {
        var tree = MemoryTree()
        for name in ["a", "b", "c"] { tree.write(name, "content of \(name)") }
        let source = MemorySource(tree)
        let runner = PlanSendRunner(source: source, host: MemorySendHost())
        var sent: [String] = []
        try await runner.perform(
            [
                .send(.syncEnd), .sendFile(path: "a", basis: .none, signature: nil),
                .sendFile(path: "b", basis: .replica, signature: [1, 2, 3]), .flush,
                .sendFile(path: "c", basis: .none, signature: nil),
            ]
        ) { output in
            if case .send(.fileBegin(let header)) = output { sent.append(header.path) }
        }
        #expect(source.calls == ["will send a, c", "send a", "send b", "send c"])
        #expect(sent == ["a", "b", "c"])
    }

    @Test func aBatchWithoutWholeFiles_announcesNothing() async throws {
        var tree = MemoryTree()
        tree.write("a", "content")
        let source = MemorySource(tree)
        let runner = PlanSendRunner(source: source, host: MemorySendHost())
        try await runner.perform([.send(.syncEnd), .sendFile(path: "a", basis: .replica, signature: [9])]) {
            _ in
        }
        #expect(source.calls == ["send a"])
    }
}
