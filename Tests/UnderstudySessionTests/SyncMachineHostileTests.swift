import NIOCore
import Testing
import UnderstudyCore
import UnderstudySession
import UnderstudyWire

/// Messages a sync does not allow where they come: each ends the sync with a reason, or is passed over where
/// that is harmless; nothing reaches the replica for them.
@Suite struct SyncMachineHostileTests {
    static let full = SyncScope(paths: nil, upTo: ResumePoint(captureID: 3, sequence: 9), captureComplete: true)
    static let attributes = FileAttributes(mode: 0o644, uid: 0, gid: 0, mtimeSeconds: 1, mtimeNanoseconds: 0)

    /// The body ends the sync as a message the protocol does not allow there.
    static func unexpected(_ body: () throws -> Any) -> Bool {
        do {
            _ = try body()
            return false
        } catch {
            if case .unexpected = error as? PeerSessionError { return true }
            return false
        }
    }

    /// A standby machine that sent its (empty) manifest and waits for the plan.
    static func receivingStandby() throws -> StandbySyncMachine {
        var machine = try StandbySyncMachine(group: "g", share: "s", previous: nil, resume: nil, verify: false)
        _ = machine.start()
        _ = try machine.receive(.syncScope(full))
        _ = try machine.described(entries: [], partials: ["big.iso": 10])
        return machine
    }

    /// A primary machine with the replica's (empty) manifest in, planning `plan`.
    static func sendingPrimary(_ plan: SyncPlan) throws -> (PrimarySyncMachine, [PrimarySyncMachine.Action]) {
        var machine = try PrimarySyncMachine(scope: full, base: nil, verify: false)
        _ = try machine.receive(.manifestEnd(partials: [], removed: []))
        let actions = try machine.planned(plan, sourceEntries: 5)
        return (machine, actions)
    }

    @Test func aStandby_refusesAnythingButTheScope_first() throws {
        var machine = try StandbySyncMachine(group: "g", share: "s", previous: nil, resume: nil, verify: false)
        #expect(
            machine.start().first
                == .send(.openShare(group: "g", share: "s", incremental: false, verify: false, resume: nil)))
        #expect(throws: PeerSessionError.self) { try machine.receive(.operation(.delete(path: "etc"))) }
        #expect(Self.unexpected { try machine.receive(.syncEnd) })
    }

    @Test func aStandby_refusesASliceEndInASyncThatIsNotSliced_andANextSliceOfAnotherScope() throws {
        var whole = try Self.receivingStandby()
        #expect(Self.unexpected { try whole.receive(.sliceEnd) })

        var sliced = try StandbySyncMachine(group: "g", share: "s", previous: nil, resume: nil, verify: false)
        _ = sliced.start()
        let first = SyncScope(
            paths: nil, upTo: ResumePoint(captureID: 3, sequence: 9), captureComplete: true,
            slice: PathSlice(after: nil, limit: 2))
        _ = try sliced.receive(.syncScope(first))
        _ = try sliced.described(entries: [], partials: [:])
        let ending = try sliced.receive(.sliceEnd)
        #expect(ending.contains(.makeDurable(removingPartials: [])))
        let reported = sliced.madeDurable(filesApplied: 1, bytesWritten: 5)
        #expect(
            reported == [.send(.syncDone(SyncDoneReport(filesApplied: 1, bytesWritten: 5, failures: 0))), .flush],
            "a slice that another follows is reported, not acknowledged (no resume point saved)")
        var elsewhere = first
        elsewhere.upTo = ResumePoint(captureID: 3, sequence: 10)
        elsewhere.slice = PathSlice(after: "m", limit: 2)
        #expect(throws: PeerSessionError.self) { try sliced.receive(.syncScope(elsewhere)) }
        var unsliced = first
        unsliced.slice = nil
        #expect(throws: PeerSessionError.self) { try sliced.receive(.syncScope(unsliced)) }
    }

    @Test func aStandby_takesThePrimarysError_asTheEndOfTheSync_withItsCode() throws {
        var machine = try Self.receivingStandby()
        do {
            _ = try machine.receive(.error(code: .unknownShare, message: "not served here"))
            Issue.record("the sync went on after the primary's error")
        } catch {
            guard case .remote(.unknownShare, "not served here") = error else {
                Issue.record("\(error)")
                return
            }
        }
    }

    @Test func aStandby_refusesPlanStepsBeforeItsManifestWasSent_andMessagesMeantForThePrimary() throws {
        var describing = try StandbySyncMachine(group: "g", share: "s", previous: nil, resume: nil, verify: false)
        _ = describing.start()
        #expect(
            try describing.receive(.syncScope(Self.full)) == [.describeReplica(Self.full)])
        #expect(Self.unexpected { try describing.receive(.planSummary(SyncPlanSummary())) })

        var receiving = try Self.receivingStandby()
        #expect(
            Self.unexpected {
                try receiving.receive(.syncDone(SyncDoneReport(filesApplied: 1, bytesWritten: 1, failures: 0)))
            })
        #expect(Self.unexpected { try receiving.receive(.manifestEnd(partials: [], removed: [])) })
        #expect(Self.unexpected { try receiving.receive(.syncScope(Self.full)) })
    }

    @Test func aStandby_passesOverContentOfAFileNeverBegun() throws {
        var machine = try Self.receivingStandby()
        #expect(try machine.receive(.fileChunk(ByteBuffer(bytes: [1, 2, 3]))) == [])
        #expect(try machine.receive(.fileEnd(contentHash: [0])) == [])
        let header = FileHeader(path: "a", size: 3, attributes: Self.attributes, basis: .none)
        #expect(try machine.receive(.fileBegin(header)) == [.beginFile(header)])
        #expect(machine.failed(path: "a", code: .applyFailed, message: "disk full").count == 1)
        #expect(try machine.receive(.fileChunk(ByteBuffer(bytes: [1]))) == [], "the failed file's chunks are dropped")
        #expect(try machine.receive(.fileChunkStored(ByteBuffer(bytes: [1]))) == [], "stored ones too")
    }

    @Test func aStandby_passesEachChunkOn_sayingWhetherItIsCompressed() throws {
        var machine = try Self.receivingStandby()
        let header = FileHeader(path: "a", size: 3, attributes: Self.attributes, basis: .none)
        _ = try machine.receive(.fileBegin(header))
        let chunk = ByteBuffer(bytes: [1, 2])
        #expect(try machine.receive(.fileChunk(chunk)) == [.receiveChunk(chunk, compressed: true)])
        #expect(try machine.receive(.fileChunkStored(chunk)) == [.receiveChunk(chunk, compressed: false)])
    }

    @Test func aStandby_acknowledgesOnlyAfterTheReplicaIsDurable_andTheResumePointSaved() throws {
        var machine = try Self.receivingStandby()
        let header = FileHeader(path: "a", size: 1, attributes: Self.attributes, basis: .none)
        _ = try machine.receive(.fileBegin(header))
        // The stream ends with a file still open: it is dropped, never committed half.
        #expect(try machine.receive(.syncEnd) == [.discardFile, .makeDurable(removingPartials: ["big.iso"])])
        #expect(Self.unexpected { try machine.receive(.operation(.delete(path: "a"))) })
        let report = SyncDoneReport(filesApplied: 0, bytesWritten: 0, failures: 0)
        let actions = machine.madeDurable(filesApplied: 0, bytesWritten: 0)
        #expect(Array(actions.prefix(3)) == [.saveResumePoint(Self.full.upTo), .send(.syncDone(report)), .flush])
    }

    @Test func aStandby_removesLeftoverPartialCopies_beforeTheFirstDirectoryTimes() throws {
        var machine = try Self.receivingStandby()
        let times = SyncOperation.setDirectoryAttributes(path: "", attributes: Self.attributes)
        #expect(try machine.receive(.operation(times)) == [.removePartials(["big.iso"]), .apply(times)])
        #expect(try machine.receive(.operation(times)) == [.apply(times)])
    }

    @Test func aPrimary_refusesTheAcknowledgementBeforeTheEndOfTheStream() throws {
        let plan = SyncPlan(operations: [.sendFile(path: "big", size: 1 << 20, basis: .replica)])
        var (machine, _) = try Self.sendingPrimary(plan)
        let report = SyncDoneReport(filesApplied: 1, bytesWritten: 1, failures: 0)
        #expect(Self.unexpected { try machine.receive(.syncDone(report)) })
    }

    @Test func aPrimary_passesOverASignatureItNeverAskedFor() throws {
        let plan = SyncPlan(operations: [.sendFile(path: "big", size: 1 << 20, basis: .replica)])
        var (machine, _) = try Self.sendingPrimary(plan)
        #expect(try machine.receive(.signatureChunk(path: "other", data: ByteBuffer(bytes: [1]))) == [])
        #expect(try machine.receive(.signatureEnd(path: "other")) == [])
        #expect(machine.isSending, "still waiting for the signature of big")
        let actions = try machine.receive(.signatureEnd(path: "big"))
        #expect(actions.first == .sendFile(path: "big", basis: .replica, signature: []))
        #expect(actions.suffix(2) == [.send(.syncEnd), .flush])
        #expect(try machine.receive(.signatureEnd(path: "big")) == [], "a second answer is passed over")
    }

    @Test func aPrimary_refusesAManifestThatIsNotZstd_orComesTwice_orDigestsNobodyAskedFor() throws {
        var garbage = try PrimarySyncMachine(scope: Self.full, base: nil, verify: false)
        #expect(throws: (any Error).self) { try garbage.receive(.manifestChunk(ByteBuffer(bytes: [9, 9, 9, 9]))) }

        var twice = try PrimarySyncMachine(scope: Self.full, base: nil, verify: false)
        _ = try twice.receive(.manifestEnd(partials: [], removed: []))
        #expect(Self.unexpected { try twice.receive(.manifestEnd(partials: [], removed: [])) })

        var plain = try PrimarySyncMachine(scope: Self.full, base: nil, verify: false)
        #expect(Self.unexpected { try plain.receive(.contentDigests([], last: true)) })
        #expect(Self.unexpected { try plain.receive(.operation(.delete(path: "x"))) })
    }

    @Test func aPrimary_streamsSignatureRequestsFirst_directoryTimesLast_andLinksAfterTheirTarget() throws {
        let times = SyncOperation.setDirectoryAttributes(path: "", attributes: Self.attributes)
        let plan = SyncPlan(operations: [
            .makeDirectory(path: "d"),
            .sendFile(path: "d/big", size: 1 << 20, basis: .replica),
            .makeHardLink(path: "d/link", target: "d/big"),
            .sendFile(path: "small", size: 3, basis: .none),
            times,
        ])
        var (machine, actions) = try Self.sendingPrimary(plan)
        #expect(
            actions == [
                .send(.planSummary(plan.summary)),
                .send(.signatureRequest(path: "d/big", basis: .replica)),
                .flush,
                .send(.operation(.makeDirectory(path: "d"))),
                .sendFile(path: "small", basis: .none, signature: nil),
                .flush,
            ])
        let after = try machine.receive(.signatureEnd(path: "d/big"))
        #expect(
            after == [
                .sendFile(path: "d/big", basis: .replica, signature: []),
                .send(.operation(.makeHardLink(path: "d/link", target: "d/big"))),
                .send(.operation(times)),
                .send(.syncEnd),
                .flush,
            ])
    }

    @Test func aPrimary_sendsADeltaWhole_whenTheStandbyCannotGiveItsSignature_andRemembersTheFailure() throws {
        let plan = SyncPlan(operations: [
            .sendFile(path: "big", size: 1 << 20, basis: .replica),
            .rename(from: "old", to: "new", contentHash: [1]),
        ])
        var (machine, _) = try Self.sendingPrimary(plan)
        let actions = try machine.receive(.operationFailed(path: "big", code: .applyFailed, message: "gone"))
        #expect(
            actions == [
                .standbyFailed(path: "big", code: .applyFailed, message: "gone", renameSources: []),
                .sendFile(path: "big", basis: .none, signature: nil),
                .send(.syncEnd),
                .flush,
            ])
        let refused = try machine.receive(
            .operationFailed(path: "new", code: .contentMismatch, message: "other content"))
        #expect(
            refused == [
                .standbyFailed(path: "new", code: .contentMismatch, message: "other content", renameSources: ["old"])
            ])
        _ = try machine.receive(.operationFailed(path: "x/too-long", code: .nameUnusable, message: "ENAMETOOLONG"))
        let done = try machine.receive(.syncDone(SyncDoneReport(filesApplied: 1, bytesWritten: 1, failures: 3)))
        guard case .finished(let outcome) = done.first else {
            Issue.record("no outcome: \(done)")
            return
        }
        #expect(outcome.failedPaths == ["big", "new", "old"], "an unusable name is left out, not retried")
    }
}
