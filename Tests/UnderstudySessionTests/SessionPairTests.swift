import NIOCore
import Testing
import UnderstudyCore
import UnderstudySession
import UnderstudyWire

/// A primary and a standby session run against each other in memory (see `SessionPair`).
@Suite struct SessionPairTests {
    static func populated() -> SessionPair {
        var pair = SessionPair()
        pair.source.makeDirectory("docs")
        pair.source.makeDirectory("docs/old")
        pair.source.write("docs/report.txt", "quarterly figures, first draft")
        pair.source.write("docs/old/notes.txt", "notes")
        pair.source.write("readme", "hello")
        try! pair.source.apply(
            .makeSymlink(
                path: "latest", target: "docs/report.txt", attributes: MemoryTree.attributes(mode: 0o777, time: 5)))
        return pair
    }

    @Test func aFullSync_mirrorsEveryEntry_andAcknowledgesOnlyOnceDurable() async throws {
        var pair = Self.populated()
        let sync = try await pair.sync(full: true)
        #expect(pair.replica.mirrors(pair.source))
        #expect(sync.standby.scope.paths == nil)
        #expect(sync.standby.report.failures == 0)
        #expect(sync.standby.report.filesApplied == 3)
        #expect(pair.resumePoint == ResumePoint(captureID: 7, sequence: 0))
        #expect(sync.primary.replicaManifest != nil, "a full comparison keeps the replica's manifest as a base")
        // The acknowledgement is the last message, after the end of the stream.
        let last = sync.messages.suffix(2).map(\.message)
        #expect(last.first == .syncEnd)
        guard case .syncDone = last.last else {
            Issue.record("the sync ends with syncDone, not \(String(describing: last.last))")
            return
        }
        #expect(pair.durableReplica.mirrors(pair.source))
    }

    @Test func aLiveChange_sendsOnlyTheChangedFile_asADeltaAgainstTheReplica() async throws {
        var pair = Self.populated()
        _ = try await pair.sync(full: true)
        pair.source.write("docs/report.txt", "quarterly figures, final version", time: 20)
        pair.change("docs/report.txt")
        let sync = try await pair.sync()
        #expect(pair.replica.mirrors(pair.source))
        #expect(sync.standby.scope.paths != nil, "a resumed standby gets a live sync, not a full comparison")
        #expect(sync.standby.scope.upTo == ResumePoint(captureID: 7, sequence: 1))
        #expect(pair.resumePoint == sync.standby.scope.upTo)
        let files = sync.messages.compactMap { item -> FileHeader? in
            if case .fileBegin(let header) = item.message { header } else { nil }
        }
        #expect(files.map(\.path) == ["docs/report.txt"])
        #expect(files.first?.basis == .replica, "sent as a delta, after its signature")
        let asked = sync.messages.firstIndex { if case .signatureRequest = $0.message { true } else { false } }
        let answered = sync.messages.firstIndex { if case .signatureEnd = $0.message { true } else { false } }
        let sent = sync.messages.firstIndex { if case .fileBegin = $0.message { true } else { false } }
        #expect(asked! < answered! && answered! < sent!)
        #expect(sync.primary.replicaManifest == nil, "a live sync leaves the base as it was")
    }

    @Test func aRenamedFile_travelsAsARename_notAsItsContent() async throws {
        var pair = Self.populated()
        _ = try await pair.sync(full: true)
        pair.source.move("docs/report.txt", to: "docs/report-final.txt")
        pair.change("docs/report.txt", "docs/report-final.txt")
        let sync = try await pair.sync()
        #expect(pair.replica.mirrors(pair.source))
        #expect(
            sync.messages.contains {
                if case .operation(.rename("docs/report.txt", "docs/report-final.txt", _)) = $0.message {
                    true
                } else {
                    false
                }
            })
        #expect(!sync.messages.contains { if case .fileBegin = $0.message { true } else { false } })
    }

    @Test func aCutMidSync_isResumedFromTheLastAcknowledgement_withoutAFullComparison() async throws {
        var pair = Self.populated()
        _ = try await pair.sync(full: true)
        let acknowledged = pair.resumePoint
        pair.source.write("readme", "hello again", time: 30)
        pair.source.write("docs/new.txt", "a new file", time: 30)
        pair.change("readme", "docs/new.txt")
        await #expect(throws: SessionPair.Cut.self) { try await pair.sync(cutAfter: 6) }
        #expect(pair.resumePoint == acknowledged, "nothing is acknowledged before the replica is durable")
        pair.reconnect()
        let sync = try await pair.sync()
        #expect(sync.standby.scope.paths != nil, "the journal still holds what the cut sync did not acknowledge")
        #expect(pair.replica.mirrors(pair.source))
        #expect(pair.resumePoint == ResumePoint(captureID: 7, sequence: 1))
    }

    @Test func aLaterFullComparisonOnOneConnection_sendsOnlyWhatChangedOfTheManifest() async throws {
        var pair = Self.populated()
        let first = try await pair.sync(full: true)
        #expect(first.standby.manifestEntriesSent == 1, "an empty replica: its root alone")
        _ = try await pair.sync(full: true)
        let unchanged = try await pair.sync(full: true)
        #expect(unchanged.standby.manifestEntriesSent == 0, "the replica did not change since the last manifest")
        pair.source.write("readme", "hello, world", time: 40)
        _ = try await pair.sync(full: true)
        let afterOneChange = try await pair.sync(full: true)
        #expect(afterOneChange.standby.manifestEntriesSent == 1)
        #expect(pair.replica.mirrors(pair.source))
        pair.reconnect()
        let fresh = try await pair.sync(full: true)
        #expect(fresh.standby.manifestEntriesSent == 7, "a new connection starts from a whole manifest")
    }

    @Test func aReplicaLargerThanTheBaseLimit_keepsNoBase_andSendsItsWholeManifestEachTime() async throws {
        var pair = Self.populated()
        pair.source.makeDirectory("many")
        // Times of their own: a rename is recognised by size and time.
        for index in 0..<20 { pair.source.write("many/f\(index)", "file \(index)", time: 10 + Int64(index)) }
        pair.baseLimit = 5
        let first = try await pair.sync(full: true)
        #expect(pair.replica.mirrors(pair.source))
        #expect(
            first.standby.manifestBase == nil,
            "the empty replica's manifest is small, but the replica grew past the limit: not kept as a base")
        // No base: the whole manifest goes.
        let again = try await pair.sync(full: true)
        #expect(again.standby.manifestEntriesSent == 28, "the whole manifest")
        #expect(again.standby.manifestBase == nil, "too large to keep as a base")
        #expect(again.primary.summary.operationCount == 0, "nothing differs: \(again.primary.summary)")
        // A change, a removal and a rename, each compared against the whole manifest.
        pair.source.write("many/f3", "file three, changed", time: 50)
        try pair.source.apply(.delete(path: "many/f4"))
        pair.source.move("many/f5", to: "many/f5-renamed")
        let changed = try await pair.sync(full: true)
        #expect(pair.replica.mirrors(pair.source))
        #expect(
            changed.messages.contains {
                if case .operation(.rename("many/f5", "many/f5-renamed", _)) = $0.message { true } else { false }
            }, "a rename found against the whole manifest")
    }

    @Test func aVerification_resendsAFileChangedOnTheReplica_behindUnderstudysBack() async throws {
        var pair = Self.populated()
        _ = try await pair.sync(full: true)
        // Same size, same time, other content: only a comparison by content sees it.
        let node = pair.replica["readme"]!
        try pair.replica.commit("readme", content: Array("HELLO".utf8), attributes: node.attributes)
        _ = try await pair.sync(full: true)
        #expect(!pair.replica.mirrors(pair.source), "size and time match: a plain comparison leaves it")
        let verified = try await pair.sync(full: true, verify: true)
        #expect(pair.replica.mirrors(pair.source))
        #expect(verified.standby.report.filesApplied == 1)
    }

    @Test func anEmptiedSource_isRefused_andTheReplicaIsKept() async throws {
        var pair = Self.populated()
        _ = try await pair.sync(full: true)
        let replica = pair.replica
        for path in ["docs", "readme", "latest"] { pair.source.remove(path) }
        do {
            _ = try await pair.sync(full: true)
            Issue.record("an emptied source was mirrored")
        } catch {
            guard case .refused(let text) = error as? PeerSessionError else {
                Issue.record("\(error)")
                return
            }
            #expect(text.contains("is empty but the replica holds 6 entries"))
        }
        #expect(pair.replica == replica)
    }

    @Test func aFileWhoseContentArrivesDamaged_isRefused_reportedAndSentAgainByTheNextSync() async throws {
        var pair = Self.populated()
        let sync = try await pair.sync(full: true) { message in
            guard case .fileEnd = message else { return message }
            return .fileEnd(contentHash: [0, 1, 2, 3, 4, 5, 6, 7])
        }
        #expect(sync.standby.report.failures == 3)
        #expect(pair.replica.files.isEmpty, "no damaged file is put in place")
        #expect(Set(pair.failures.map(\.path)) == ["docs/report.txt", "docs/old/notes.txt", "readme"])
        #expect(sync.primary.failedPaths == ["docs/report.txt", "docs/old/notes.txt", "readme"])
        _ = try await pair.sync(full: true)
        #expect(pair.replica.mirrors(pair.source))
    }
}
