import NIOCore
import Testing
import UnderstudyCore
import UnderstudySession
import UnderstudyWire

/// A node that served a group (alpha) rejoins the node that took it over (beta), in memory: the rejoin's exchange,
/// then the ordinary follow.
@Suite struct RejoinPairTests {
    /// alpha served and mirrored to beta; then beta took over, and both went on writing.
    static func diverged() async throws -> (alpha: MemoryTree, beta: MemoryTree, base: [ManifestEntry]) {
        var pair = SessionPairTests.populated()
        _ = try await pair.sync(full: true)
        let base = pair.replica.manifest()
        var alpha = pair.source
        var beta = pair.replica
        alpha.write("readme", "alpha's last words", time: 50)
        alpha.write("late.txt", "written on alpha after the last sync", time: 50)
        beta.write("readme", "beta's new text", time: 60)
        beta.write("docs/old/notes.txt", "edited on beta", time: 60)
        return (alpha, beta, base)
    }

    @Test func aRejoinWithConflicts_keepsBothVersionsOnBothNodes_andTheFollowMakesTheTreesEqual() async throws {
        let (alpha, beta, base) = try await Self.diverged()
        var exchange = RejoinExchange(rejoining: alpha, serving: beta, base: base)
        let outcome = try await exchange.run()
        #expect(outcome.conflicts == 2, "readme changed on both, late.txt never replicated")
        #expect(outcome.pushed == 2)
        #expect(outcome.copies == 1, "notes.txt changed only on beta: the follow brings it")
        let readmeCopy = try #require(exchange.kept["readme"])
        let lateCopy = try #require(exchange.kept["late.txt"])
        #expect(ConflictName.isConflictCopy(readmeCopy) && ConflictName.node(of: readmeCopy) == "alpha")
        #expect(exchange.serving[readmeCopy]?.content == Array("alpha's last words".utf8))
        #expect(exchange.serving[lateCopy]?.content == Array("written on alpha after the last sync".utf8))
        #expect(exchange.serving["readme"]?.content == Array("beta's new text".utf8), "the serving version stays")

        var follow = SessionPair()
        follow.source = exchange.serving
        follow.replica = exchange.rejoining
        _ = try await follow.sync(full: true)
        #expect(follow.replica.mirrors(follow.source))
        #expect(follow.replica[readmeCopy]?.content == Array("alpha's last words".utf8))
        #expect(follow.replica["readme"]?.content == Array("beta's new text".utf8))
        #expect(follow.replica["docs/old/notes.txt"]?.content == Array("edited on beta".utf8))
        #expect(follow.replica["late.txt"] == nil, "kept only as its conflict copy")
    }

    @Test func aRejoinWithNothingNewHere_keepsNoConflict_andPushesNothing() async throws {
        let (_, beta, base) = try await Self.diverged()
        var untouched = SessionPairTests.populated()
        _ = try await untouched.sync(full: true)
        var exchange = RejoinExchange(rejoining: untouched.source, serving: beta, base: base)
        let outcome = try await exchange.run()
        #expect(outcome.conflicts == 0 && outcome.pushed == 0)
        #expect(exchange.serving == beta)
    }

    @Test func aRejoin_refusesAConfirmationOfAnotherCopy_andTheServingNodesError() async throws {
        let (alpha, beta, base) = try await Self.diverged()
        var confused = RejoinExchange(rejoining: alpha, serving: beta, base: base)
        await #expect {
            try await confused.run { message in
                guard case .conflictStored = message else { return message }
                return .conflictStored(path: "readme")
            }
        } throws: { error in
            if case .unexpected(_, "instead of conflictStored") = error as? PeerSessionError { true } else { false }
        }

        var machine = try RejoinMachine(group: "g", share: "s", epoch: 2, node: "alpha")
        _ = machine.start()
        #expect(throws: PeerSessionError.self) { try machine.receive(.error(code: .unknownShare, message: "moved")) }
        #expect(throws: PeerSessionError.self) { try machine.receive(.conflictStored(path: "x")) }
    }
}

/// The serving node takes a conflict copy only under a conflict-copy name, and confirms it only once kept.
@Suite struct ConflictCopyMachineTests {
    static let attributes = FileAttributes(mode: 0o644, uid: 0, gid: 0, mtimeSeconds: 9, mtimeNanoseconds: 0)
    static let copy = FileHeader(
        path: "docs/report.understudy-conflict-alpha-20261205T030000Z.txt", size: 3, attributes: attributes,
        basis: .replica)

    @Test func aCopyUnderAnyOtherName_isRefused_beforeAnythingIsWritten() {
        let plain = FileHeader(path: "etc/passwd", size: 3, attributes: Self.attributes, basis: .none)
        let (machine, actions) = ConflictCopyMachine.begin(header: plain, reason: "changed-on-both")
        #expect(machine.isFinished)
        #expect(!actions.contains { if case .begin = $0 { true } else { false } })
        guard case .send(.error(.pathRefused, let text)) = actions.first, case .end(.refused) = actions.last else {
            Issue.record("\(actions)")
            return
        }
        #expect(text.contains("only names with .understudy-conflict- are taken"))
    }

    @Test func aCopy_isConfirmedOnlyOnceKept_andAsWholeContentNeverAsADelta() {
        var (machine, actions) = ConflictCopyMachine.begin(header: Self.copy, reason: "changed-on-both")
        guard case .begin(let opened) = actions.first else {
            Issue.record("\(actions)")
            return
        }
        #expect(opened.basis == .none && opened.path == Self.copy.path)
        #expect(machine.receive(.fileEnd(contentHash: [1])) == [.keep(Self.copy, contentHash: [1])])
        let kept = machine.kept()
        #expect(kept.suffix(2) == [.send(.conflictStored(path: Self.copy.path)), .flush])
        #expect(machine.isFinished)
    }

    @Test func aCopysChunks_arePassedOn_sayingWhetherTheyAreCompressed() {
        var (machine, _) = ConflictCopyMachine.begin(header: Self.copy, reason: "changed-on-both")
        let chunk = ByteBuffer(bytes: [1, 2])
        #expect(machine.receive(.fileChunk(chunk)) == [.receive(chunk, compressed: true)])
        #expect(machine.receive(.fileChunkStored(chunk)) == [.receive(chunk, compressed: false)])
    }

    @Test func aCopyThatCannotBeKept_isReportedToThePeer_unlessAnEarlierAttemptLeftItInPlace() {
        var (failing, _) = ConflictCopyMachine.begin(header: Self.copy, reason: "changed-on-both")
        _ = failing.receive(.fileEnd(contentHash: [1]))
        let failed = failing.keepFailed(alreadyInPlace: false, reason: "content mismatch")
        guard case .send(.error(.internalError, let text)) = failed.first, case .end = failed.last else {
            Issue.record("\(failed)")
            return
        }
        #expect(text.contains("could not keep conflict copy"))
        var (retried, _) = ConflictCopyMachine.begin(header: Self.copy, reason: "changed-on-both")
        _ = retried.receive(.fileEnd(contentHash: [1]))
        #expect(
            retried.keepFailed(alreadyInPlace: true, reason: "exists").contains(
                .send(.conflictStored(path: Self.copy.path))))
    }

    @Test func anythingButContent_endsTheExchange_andDropsWhatArrived() {
        var (machine, _) = ConflictCopyMachine.begin(header: Self.copy, reason: "changed-on-both")
        let actions = machine.receive(.syncEnd)
        #expect(actions.first == .discard)
        guard case .end(.unexpected) = actions.last else {
            Issue.record("\(actions)")
            return
        }
    }
}
