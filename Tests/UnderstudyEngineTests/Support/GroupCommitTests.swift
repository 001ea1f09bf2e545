#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import NIOConcurrencyHelpers
import Testing
import UnderstudyFileSystem
import UnderstudySupport

/// Group commit with real threads: the durable work asked for while a round runs is done once, by the next round,
/// which starts after every request it serves; a round's failure is its callers', and only theirs.
@Suite struct GroupCommitTests {
    @Test func callersDuringARound_areServedTogether_byOneRoundThatStartsAfterThem() async throws {
        let rounds = NIOLockedValueBox<[[Int]]>([])
        let release = DispatchSemaphore(value: 0)
        let group = GroupCommit<Int, Never> { items in
            rounds.withLockedValue { $0.append(items) }
            if items == [0] { release.wait() }  // the first round is held until the others have asked
        }
        let callers = DispatchGroup()
        let returned = NIOLockedValueBox<[Int]>([])
        for caller in 0..<9 {
            Self.spawn(callers) {
                group.commit(caller)
                returned.withLockedValue { $0.append(caller) }
            }
            if caller == 0 { try await Self.waitUntil { rounds.withLockedValue { $0.count } == 1 } }
        }
        try await Self.waitUntil { group.figures.requests == 9 }
        #expect(returned.withLockedValue { $0 }.isEmpty, "no caller returns before a round that started after it")
        release.signal()
        try await onThread { callers.wait() }
        #expect(rounds.withLockedValue { $0.count } == 2)
        #expect(rounds.withLockedValue { $0[1].sorted() } == Array(1..<9), "the eight waiting callers, in one round")
        #expect(returned.withLockedValue { $0.sorted() } == Array(0..<9))
        #expect(group.figures == .init(requests: 9, rounds: 2))
    }

    struct Refused: Error, Equatable {}

    @Test func aFailedRound_failsEveryCallerInIt_andNotTheNextRound() async throws {
        let release = DispatchSemaphore(value: 0)
        let started = NIOLockedValueBox(0)
        let group = GroupCommit<Int, Refused> { items throws(Refused) in
            let round = started.withLockedValue {
                $0 += 1
                return $0
            }
            if round == 1 { release.wait() }
            if round == 2 { throw Refused() }
        }
        let callers = DispatchGroup()
        let failed = NIOLockedValueBox<[Int]>([])
        let call: @Sendable (Int) -> Void = { caller in
            do throws(Refused) {
                try group.commit(caller)
            } catch {
                failed.withLockedValue { $0.append(caller) }
            }
        }
        Self.spawn(callers) { call(0) }
        try await Self.waitUntil { started.withLockedValue { $0 } == 1 }
        for caller in 1...3 { Self.spawn(callers) { call(caller) } }
        try await Self.waitUntil { group.figures.requests == 4 }
        release.signal()
        try await onThread { callers.wait() }
        #expect(failed.withLockedValue { $0.sorted() } == [1, 2, 3], "the second round's three callers, each told")
        try await onThread { try group.commit(4) }  // the third round succeeds
        #expect(group.figures == .init(requests: 5, rounds: 3))
    }

    @Test func syncfsAskedByManyThreads_returnsToEach_withNoMoreCallsThanAsked() async throws {
        let root = TestTree.makeTemporaryDirectory("group-syncfs")
        defer { TestTree.remove(root) }
        let sync = FileSystemSync()
        let callers = DispatchGroup()
        let failures = NIOLockedValueBox(0)
        for index in 0..<16 {
            Self.spawn(callers) {
                TestTree.write(root, "f\(index)", "file \(index)")
                let descriptor = open(root, O_RDONLY | O_DIRECTORY)
                defer { close(descriptor) }
                do { try sync.sync(descriptor, path: root) } catch { failures.withLockedValue { $0 += 1 } }
            }
        }
        try await onThread { callers.wait() }
        #expect(failures.withLockedValue { $0 } == 0)
        let figures = sync.figures
        #expect(figures.requests == 16 && figures.rounds >= 1 && figures.rounds <= 16, "\(figures)")
    }

    @Test func syncfsOfADescriptorThatIsNotOpen_isAClearError() {
        #expect {
            try FileSystemSync().sync(-1, path: "/srv/share")
        } throws: { error in
            "\(error)".contains("/srv/share") && "\(error)".contains("stat for syncfs")
        }
    }

    static func spawn(_ group: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
        group.enter()
        Thread {
            body()
            group.leave()
        }.start()
    }

    /// Polls (at most 10 s) until `condition` holds.
    static func waitUntil(_ condition: @escaping @Sendable () -> Bool) async throws {
        for _ in 0..<1000 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        #expect(condition(), "not reached in 10 s")
    }
}
