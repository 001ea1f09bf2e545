import Testing
import UnderstudyCore
import UnderstudySession
import UnderstudyWire

/// Full comparisons made in slices of the share (see `SlicedComparison`), between sessions in memory.
@Suite struct SlicedComparisonTests {
    /// Names that sort around "/" and nested directories, so that slices start and end inside directories.
    static func tree() -> SessionPair {
        var pair = SessionPair()
        for directory in ["a", "a/deep", "a/deep/er", "a.d", "b", "b/sub", "c"] { pair.source.makeDirectory(directory) }
        var time: Int64 = 100
        for path in [
            "a/one", "a/two", "a/deep/three", "a/deep/er/four", "a b", "a.c", "a.d/five", "a0", "b/six", "b/sub/seven",
            "b/sub/eight", "c/nine", "z",
        ] {
            time += 1  // times of their own: a rename is recognised by size and time
            pair.source.write(path, "content of \(path)", time: time)
        }
        pair.sliceLimit = 4
        return pair
    }

    private static func count(_ message: PeerMessage, in sync: SessionPair.Sync) -> Int {
        sync.messages.filter { $0.message == message }.count
    }

    @Test func aFirstSyncInSlices_mirrorsTheTree_andAcknowledgesTheJournalOnceAtTheEnd() async throws {
        var pair = Self.tree()
        pair.change("z")
        let sync = try await pair.sync(full: true)
        #expect(pair.replica.mirrors(pair.source))
        #expect(pair.durableReplica.mirrors(pair.source))
        let slices = sync.messages.filter { if case .syncScope = $0.message { true } else { false } }.count
        #expect(slices > 3, "21 entries in slices of at most 4: \(slices) slices")
        #expect(Self.count(.sliceEnd, in: sync) == slices - 1)
        #expect(Self.count(.syncEnd, in: sync) == 1)
        #expect(sync.standby.report.filesApplied == 13, "every slice's files counted once")
        #expect(sync.primary.summary.files == 13)
        #expect(sync.standby.entriesCompared >= 1)
        #expect(pair.resumePoint == ResumePoint(captureID: 7, sequence: 1))
        #expect(sync.standby.manifestBase == nil && sync.primary.replicaManifest == nil, "no base of a part")
        #expect(pair.journal.count == 0, "the journal is acknowledged by the last slice")
    }

    @Test func changesEverywhere_areMirroredByASlicedComparison() async throws {
        var pair = Self.tree()
        _ = try await pair.sync(full: true)
        // A changed file, a removed directory across slices, a file become a directory with content, a new directory
        // with files spread over slices, renames within and across slices.
        pair.source.write("a/one", "changed content", time: 500)
        pair.source.remove("a/deep")
        pair.source.remove("a0")
        pair.source.makeDirectory("a0")
        pair.source.write("a0/inside", "now a directory")
        pair.source.makeDirectory("n")
        for index in 0..<6 { pair.source.write("n/f\(index)", "new \(index)", time: 600 + Int64(index)) }
        pair.source.move("b/six", to: "b/six-renamed")
        pair.source.move("a/two", to: "y-moved-far")
        let sync = try await pair.sync(full: true)
        #expect(pair.replica.mirrors(pair.source), "\(pair.replica)")
        #expect(sync.standby.report.failures == 0)
        let again = try await pair.sync(full: true)
        #expect(again.primary.summary.operationCount == 0, "nothing differs after: \(again.primary.summary)")
    }

    @Test func anInterruptedSlicedComparison_acknowledgesNothing_andTheNextOneCompletesIt() async throws {
        var pair = Self.tree()
        _ = try await pair.sync(full: true)
        let acknowledged = pair.resumePoint
        for index in 0..<8 { pair.source.write("c/later\(index)", "later \(index)", time: 700 + Int64(index)) }
        pair.source.remove("z")
        pair.change("c/later0", "z")
        await #expect(throws: SessionPair.Cut.self) { try await pair.sync(full: true, cutAfter: 12) }
        #expect(pair.resumePoint == acknowledged, "a slice is durable, not an acknowledgement")
        #expect(pair.journal.count > 0)
        pair.reconnect()
        _ = try await pair.sync(full: true)
        #expect(pair.replica.mirrors(pair.source))
        #expect(pair.resumePoint == ResumePoint(captureID: 7, sequence: 1))
    }

    @Test func aTreeWithinOneSlice_isComparedOnce_andKeptAsTheBaseOfTheNextManifest() async throws {
        var pair = SessionPair()
        pair.source.write("only", "one file")
        pair.sliceLimit = 10
        let first = try await pair.sync(full: true)
        #expect(pair.replica.mirrors(pair.source))
        #expect(Self.count(.sliceEnd, in: first) == 0)
        let second = try await pair.sync(full: true)
        #expect(second.standby.manifestBase != nil, "the whole tree in one slice is a base")
        #expect(second.primary.replicaManifest != nil)
        let third = try await pair.sync(full: true)
        #expect(
            third.messages.contains {
                if case .openShare(_, _, true, _, _) = $0.message { true } else { false }
            }, "the next comparison sends only what changed, not slices")
    }

    @Test func aVerificationInSlices_resendsWhatChangedBehindUnderstudysBack_inAnySlice() async throws {
        var pair = Self.tree()
        _ = try await pair.sync(full: true)
        // Same size, same time, other content, in the first slice and in the last: only the digests see them.
        for path in ["a/one", "z"] {
            let node = pair.replica[path]!
            let content = Array(node.content.reversed())
            try pair.replica.commit(path, content: content, attributes: node.attributes)
        }
        _ = try await pair.sync(full: true)
        #expect(!pair.replica.mirrors(pair.source), "size and time match: a plain comparison leaves them")
        let verified = try await pair.sync(full: true, verify: true)
        #expect(pair.replica.mirrors(pair.source))
        #expect(verified.standby.report.filesApplied == 2)
        #expect(Self.count(.sliceEnd, in: verified) > 2, "the verification went in slices")
    }

    @Test func aSliceCut_keepsNeitherSidePastWhatBothWalksCovered_norReplicaEntriesBeforeTheSlice() {
        func entry(_ path: String) -> ManifestEntry {
            ManifestEntry(
                path: path, kind: .file, size: 1,
                attributes: FileAttributes(mode: 0o644, uid: 0, gid: 0, mtimeSeconds: 1, mtimeNanoseconds: 0))
        }
        var slicing = SlicedComparison(limit: 3, upTo: ResumePoint(captureID: 1, sequence: 2), captureComplete: true)
        var source = [entry(""), entry("a"), entry("b")]
        var replica = Dictionary(uniqueKeysWithValues: ["", "a", "a b"].map { ($0, entry($0)) })
        slicing.cut(source: &source, sourceComplete: false, replica: &replica)
        // The replica's walk stopped at "a b" (its limit), the source's at "b": both covered the tree up to "a b".
        #expect(source.map(\.path) == ["", "a"])
        #expect(replica.keys.sorted() == ["", "a", "a b"])
        let next = slicing.next()
        #expect(next?.slice == PathSlice(after: "a b", limit: 3))
        // A replica slice that (wrongly) holds an entry before its start: it is not taken for a file the source lost.
        var later = [entry("b")]
        var described = Dictionary(uniqueKeysWithValues: ["a b", "b"].map { ($0, entry($0)) })
        slicing.cut(source: &later, sourceComplete: true, replica: &described)
        #expect(described.keys.sorted() == ["b"])
        #expect(!slicing.follows && slicing.next() == nil, "both walks reached the end: the last slice")
    }

    @Test func anEmptySource_overAFullReplica_isRefusedInItsFirstSlice() async throws {
        var pair = Self.tree()
        _ = try await pair.sync(full: true)
        for path in pair.source.manifest().map(\.path) where !path.isEmpty && !path.contains("/") {
            pair.source.remove(path)
        }
        pair.reconnect()
        await #expect(throws: PeerSessionError.self) { try await pair.sync(full: true) }
        #expect(pair.replica.manifest().count == 21, "nothing deleted")
    }
}
