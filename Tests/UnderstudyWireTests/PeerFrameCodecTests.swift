import NIOCore
import NIOEmbedded
import Testing
import UnderstudyCore
@testable import UnderstudyWire

private let attributes = FileAttributes(
    mode: 0o640, uid: 1000, gid: 100, mtimeSeconds: 1_700_000_000, mtimeNanoseconds: 123)

private func roundTrip(_ message: PeerMessage) throws -> PeerMessage {
    var buffer = ByteBuffer()
    PeerFrameCodec.encode(message, into: &buffer)
    let length: UInt32 = buffer.readInteger()!
    #expect(Int(length) == buffer.readableBytes)
    return try PeerFrameCodec.decode(frame: &buffer)
}

/// Builds a frame by hand, the way a hostile peer could.
private func frame(type: UInt8, _ body: (inout ByteBuffer) -> Void) -> ByteBuffer {
    var payload = ByteBuffer()
    payload.writeInteger(type)
    body(&payload)
    return payload
}

private func string(_ text: String, into buffer: inout ByteBuffer) {
    buffer.writeInteger(UInt32(text.utf8.count))
    buffer.writeString(text)
}

struct PeerFrameCodecTests {
    @Test(arguments: [
        PeerMessage.hello(PeerHello(cluster: "office", node: "beta")),
        .hello(
            PeerHello(
                cluster: "office", node: "beta",
                ownerships: [
                    "web": GroupOwnership(epoch: 4, owner: "beta"), "mail": GroupOwnership(epoch: .max, owner: "alpha"),
                ])),
        .error(code: .unknownShare, message: "no such share"),
        .openShare(group: "files", share: "data", incremental: false, resume: nil),
        .openShare(group: "files", share: "data", incremental: true, resume: ResumePoint(captureID: .max, sequence: 7)),
        .syncScope(SyncScope(paths: nil, upTo: ResumePoint(captureID: 1, sequence: 0), captureComplete: true)),
        .syncScope(
            SyncScope(
                paths: [ScopedPath("a/b", recursive: true), ScopedPath("", recursive: false)],
                upTo: ResumePoint(captureID: 9, sequence: 12), captureComplete: false)),
        .syncScope(SyncScope(paths: [], upTo: ResumePoint(captureID: 9, sequence: 12), captureComplete: true)),
        .syncScope(
            SyncScope(
                paths: nil, upTo: ResumePoint(captureID: 3, sequence: 4), captureComplete: true,
                slice: PathSlice(after: nil, limit: 100_000))),
        .syncScope(
            SyncScope(
                paths: nil, upTo: ResumePoint(captureID: 3, sequence: 4), captureComplete: false,
                slice: PathSlice(after: "", limit: 1))),
        .syncScope(
            SyncScope(
                paths: nil, upTo: ResumePoint(captureID: 3, sequence: 4), captureComplete: true,
                slice: PathSlice(after: "dir/ü name", limit: 7))),
        .sliceEnd,
        .changesPending(group: "files", share: "data"),
        .openShare(group: "files", share: "data", incremental: false, verify: true, resume: nil),
        .contentDigests([PathDigest(path: "a/b", digest: Array(repeating: 7, count: 32))], last: false),
        .contentDigests([], last: true),
        .manifestChunk(ByteBuffer(bytes: [0x28, 0xb5, 0x2f, 0xfd])),
        .manifestEnd(partials: [PartialFile(path: "big", size: 1 << 33)], removed: ["gone", "dir/gone too"]),
        .planSummary(
            {
                var s = SyncPlanSummary()
                s.files = 3
                s.bytes = 99
                s.deltas = 1
                s.renames = 2
                return s
            }()),
        .operation(.rename(from: "a", to: "b/c", contentHash: [UInt8](repeating: 5, count: 32))),
        .operation(.rename(from: "a", to: "b/c", contentHash: nil)),
        .operation(.makeSymlink(path: "s", target: "/absolute/target/is/just/data", attributes: attributes)),
        .operation(.setAttributes(path: "f", kind: .file, attributes: attributes)),
        .operation(.setDirectoryAttributes(path: "", attributes: attributes)),
        .operation(.removeTree(path: "x")), .operation(.delete(path: "y")), .operation(.makeDirectory(path: "z")),
        .operation(.makeHardLink(path: "h", target: "f")),
        .fileBegin(FileHeader(path: "f", size: 5 << 30, attributes: attributes, basis: .partial)),
        .fileChunk(ByteBuffer(bytes: [1, 2, 3])),
        .fileChunkStored(ByteBuffer(bytes: [1, 2, 3])), .fileChunkStored(ByteBuffer()),
        .fileEnd(contentHash: [UInt8](repeating: 1, count: 32)),
        .fileAbandon(reason: "changed"),
        .signatureRequest(path: "f", basis: .replica),
        .signatureChunk(path: "f", data: ByteBuffer(bytes: [4, 5])),
        .signatureEnd(path: "f"),
        .syncEnd,
        .syncDone(SyncDoneReport(filesApplied: 1, bytesWritten: 2, failures: 3)),
        .operationFailed(path: "f", code: .contentMismatch, message: "bad"),
        .rejoinOpen(group: "files", share: "data", epoch: 7),
        .conflictBegin(
            group: "files", share: "data", reason: "changed-on-both",
            header: FileHeader(
                path: "d/x.understudy-conflict-alpha-20261122T101500Z.txt", size: 12, attributes: attributes,
                basis: .none)),
        .conflictStored(path: "d/x.understudy-conflict-alpha-20261122T101500Z.txt"),
        .switchoverAsk(group: "files", failback: true, force: false, dryRun: true),
        .switchoverAsk(group: "files", failback: false, force: true, dryRun: false),
        .switchoverReport(ok: true, text: "services stopped (12 ms)\nhanded epoch 3 to beta"),
        .switchoverReport(ok: false, text: ""),
        .switchoverReport(ok: false, text: "beta is not a standby in step", code: "peer-not-ready"),
        .usersOffer(document: Array(#"{"revision":3,"users":[],"tokens":[]}"#.utf8)),
        .configAsk(group: "web", after: 41),
        .configVersions(group: "web", highest: 42, document: Array(#"[{"path":"/etc/nginx/nginx.conf"}]"#.utf8)),
        .usersOffer(document: []),
        .compressionDictionary(id: 0x1234_5678, data: ByteBuffer(bytes: [0x28, 0xB5, 0x2F, 0xFD, 1, 2, 3])),
    ])
    func roundTrips_everyMessage(message: PeerMessage) throws {
        #expect(try roundTrip(message) == message)
    }

    @Test(arguments: ["../etc/passwd", "/etc/passwd", "a/../../b", "a//b", ""])
    func refuses_fileBeginWithHostilePath(path: String) {
        var buffer = frame(type: 8) { buffer in
            string(path, into: &buffer)
            buffer.writeInteger(Int64(1))
            buffer.writeInteger(UInt32(0o644))
            buffer.writeInteger(UInt32(0))
            buffer.writeInteger(UInt32(0))
            buffer.writeInteger(Int64(0))
            buffer.writeInteger(UInt32(0))
            buffer.writeInteger(UInt8(0))
        }
        if path.isEmpty {
            // The share root is a valid path on the wire; the writer refuses to write file content over it.
            #expect(throws: Never.self) { _ = try PeerFrameCodec.decode(frame: &buffer) }
            return
        }
        #expect { _ = try PeerFrameCodec.decode(frame: &buffer) } throws: { error in
            (error as? WireError)?.code == .pathRefused
        }
    }

    @Test(arguments: ["../x", "/etc/passwd", "a/../../b"])
    func refuses_conflictCopyWithHostilePath(path: String) {
        var buffer = frame(type: 22) { buffer in
            string("files", into: &buffer)
            string("data", into: &buffer)
            string("changed-on-both", into: &buffer)
            string(path, into: &buffer)
            buffer.writeInteger(Int64(1))
            buffer.writeInteger(UInt32(0o644))
            buffer.writeInteger(UInt32(0))
            buffer.writeInteger(UInt32(0))
            buffer.writeInteger(Int64(0))
            buffer.writeInteger(UInt32(0))
        }
        #expect { _ = try PeerFrameCodec.decode(frame: &buffer) } throws: { error in
            (error as? WireError)?.code == .pathRefused
        }
    }

    @Test func refuses_renameOutOfTheRoot() {
        var buffer = frame(type: 7) { buffer in
            buffer.writeInteger(UInt8(3))
            string("a", into: &buffer)
            string("../../root/.ssh/authorized_keys", into: &buffer)
        }
        #expect { _ = try PeerFrameCodec.decode(frame: &buffer) } throws: { error in
            let wire = error as? WireError
            return wire?.code == .pathRefused && wire!.message.contains("rename target")
        }
    }

    @Test func manifestCodec_roundTripsEntries() throws {
        let entries = [
            ManifestEntry(path: "", kind: .directory, size: 0, attributes: attributes),
            ManifestEntry(
                path: "dir with space/ünï\nline", kind: .file, size: 42, attributes: attributes, inode: 77, linkCount: 2
            ),
            ManifestEntry(path: "l", kind: .symlink, size: 3, attributes: attributes, linkTarget: "../outside"),
        ]
        #expect(try ManifestCodec.decode(ManifestCodec.encode(entries)) == entries)
    }

    @Test func manifestCodec_refusesHostilePathAndLyingCount() {
        var buffer = ManifestCodec.encode([ManifestEntry(path: "ok", kind: .file, size: 1, attributes: attributes)])
        // Rewrite the path in place: same length, hostile content.
        let offset = buffer.readableBytesView.firstRange(of: Array("ok".utf8))!.lowerBound
        buffer.setString("..", at: offset)
        #expect { _ = try ManifestCodec.decode(buffer) } throws: { ($0 as? WireError)?.code == .pathRefused }
        var lying = ByteBuffer()
        lying.writeInteger(UInt32.max)
        #expect { _ = try ManifestCodec.decode(lying) } throws: { ($0 as? WireError)?.code == .malformedFrame }
    }

    @Test func refuses_truncatedAndTrailingBytes() {
        var full = ByteBuffer()
        PeerFrameCodec.encode(.openShare(group: "files", share: "data", incremental: false, resume: nil), into: &full)
        full.moveReaderIndex(forwardBy: 4)
        var truncated = full.getSlice(at: full.readerIndex, length: full.readableBytes - 2)!
        #expect { _ = try PeerFrameCodec.decode(frame: &truncated) } throws: {
            ($0 as? WireError)?.code == .malformedFrame
        }
        var trailing = full
        trailing.writeInteger(UInt8(0))
        #expect { _ = try PeerFrameCodec.decode(frame: &trailing) } throws: {
            ($0 as? WireError)?.message.contains("unexpected bytes") == true
        }
    }

    @Test func refuses_unknownTypeAndBadEnums() {
        var unknown = frame(type: 200) { _ in }
        #expect { _ = try PeerFrameCodec.decode(frame: &unknown) } throws: {
            ($0 as? WireError)?.code == .unknownMessageType
        }
        var badBasis = frame(type: 12) { buffer in
            string("f", into: &buffer)
            buffer.writeInteger(UInt8(9))
        }
        #expect { _ = try PeerFrameCodec.decode(frame: &badBasis) } throws: {
            ($0 as? WireError)?.message.contains("basis") == true
        }
    }

    @Test func switchoverFrames_refuseUnknownFlagsAndABadOk() {
        var flags = frame(type: 24) { buffer in
            string("files", into: &buffer)
            buffer.writeInteger(UInt8(8))
        }
        #expect { _ = try PeerFrameCodec.decode(frame: &flags) } throws: {
            ($0 as? WireError)?.message == "switchoverAsk: unknown flags 8"
        }
        var ok = frame(type: 25) { buffer in
            buffer.writeInteger(UInt8(2))
            string("done", into: &buffer)
        }
        #expect { _ = try PeerFrameCodec.decode(frame: &ok) } throws: {
            ($0 as? WireError)?.message == "switchoverReport: ok is 2, not 0 or 1"
        }
    }

    @Test(arguments: ["Peer Not Ready", "code\u{1b}[31m", String(repeating: "a", count: 65)])
    func refuses_aSwitchoverReportWhoseCodeIsNotACode(code: String) {
        var report = frame(type: 25) { buffer in
            buffer.writeInteger(UInt8(0))
            string("refused", into: &buffer)
            string(code, into: &buffer)
        }
        #expect { _ = try PeerFrameCodec.decode(frame: &report) } throws: {
            ($0 as? WireError)?.message.hasPrefix("switchoverReport: code") == true
        }
    }

    @Test func refuses_lengthClaimsBeyondTheFrame() {
        var lying = frame(type: 3) { buffer in
            buffer.writeInteger(UInt32(1_000_000))
            buffer.writeString("x")
        }
        #expect { _ = try PeerFrameCodec.decode(frame: &lying) } throws: {
            ($0 as? WireError)?.message.contains("claims 1000000 bytes") == true
        }
        var hugeCount = frame(type: 5) { buffer in buffer.writeInteger(UInt32.max) }
        #expect { _ = try PeerFrameCodec.decode(frame: &hugeCount) } throws: {
            ($0 as? WireError)?.code == .malformedFrame
        }
    }

    @Test func syncScope_refusesHostilePathsAndContradictions() {
        func scope(flags: UInt8, count: UInt32, _ body: (inout ByteBuffer) -> Void = { _ in }) -> ByteBuffer {
            frame(type: 18) { buffer in
                buffer.writeInteger(UInt64(1))
                buffer.writeInteger(UInt64(2))
                buffer.writeInteger(flags)
                buffer.writeInteger(count)
                body(&buffer)
            }
        }
        var outside = scope(flags: 0, count: 1) { buffer in
            string("../etc", into: &buffer)
            buffer.writeInteger(UInt8(1))
        }
        #expect { _ = try PeerFrameCodec.decode(frame: &outside) } throws: { ($0 as? WireError)?.code == .pathRefused }
        var both = scope(flags: 1, count: 1) { buffer in
            string("a", into: &buffer)
            buffer.writeInteger(UInt8(0))
        }
        #expect { _ = try PeerFrameCodec.decode(frame: &both) } throws: {
            ($0 as? WireError)?.message.contains("whole share") == true
        }
        var huge = scope(flags: 0, count: UInt32.max)
        #expect { _ = try PeerFrameCodec.decode(frame: &huge) } throws: { ($0 as? WireError)?.code == .malformedFrame }
        var badFlag = scope(flags: 0, count: 1) { buffer in
            string("a", into: &buffer)
            buffer.writeInteger(UInt8(7))
        }
        #expect { _ = try PeerFrameCodec.decode(frame: &badFlag) } throws: {
            ($0 as? WireError)?.message.contains("recursive flag") == true
        }
    }

    @Test func aSlicedScope_refusesPathsTooAnEmptyOrHugeSliceAndAHostileStart() {
        func sliced(flags: UInt8 = 5, count: UInt32 = 0, limit: UInt32, start: String?) -> ByteBuffer {
            frame(type: 18) { buffer in
                buffer.writeInteger(UInt64(1))
                buffer.writeInteger(UInt64(2))
                buffer.writeInteger(flags)
                buffer.writeInteger(count)
                if count > 0 {
                    string("a", into: &buffer)
                    buffer.writeInteger(UInt8(0))
                }
                buffer.writeInteger(limit)
                buffer.writeInteger(UInt8(start == nil ? 0 : 1))
                if let start { string(start, into: &buffer) }
            }
        }
        var withPaths = sliced(flags: 4, count: 1, limit: 10, start: nil)
        #expect { _ = try PeerFrameCodec.decode(frame: &withPaths) } throws: {
            ($0 as? WireError)?.message.contains("a slice of the share but also 1 paths") == true
        }
        var empty = sliced(limit: 0, start: nil)
        #expect { _ = try PeerFrameCodec.decode(frame: &empty) } throws: {
            ($0 as? WireError)?.message.contains("a slice of 0 entries") == true
        }
        var huge = sliced(limit: .max, start: nil)
        #expect { _ = try PeerFrameCodec.decode(frame: &huge) } throws: { ($0 as? WireError)?.code == .malformedFrame }
        var outside = sliced(limit: 10, start: "../etc")
        #expect { _ = try PeerFrameCodec.decode(frame: &outside) } throws: { ($0 as? WireError)?.code == .pathRefused }
        var unknown = sliced(flags: 13, limit: 10, start: nil)
        #expect { _ = try PeerFrameCodec.decode(frame: &unknown) } throws: {
            ($0 as? WireError)?.message.contains("unknown flags 13") == true
        }
    }

    @Test func contentDigests_refuseHostilePathAndShortDigest() {
        var outside = frame(type: 20) { buffer in
            buffer.writeInteger(UInt8(1))
            buffer.writeInteger(UInt32(1))
            string("/etc/passwd", into: &buffer)
            buffer.writeBytes(Array(repeating: UInt8(0), count: 32))
        }
        #expect { _ = try PeerFrameCodec.decode(frame: &outside) } throws: { ($0 as? WireError)?.code == .pathRefused }
        var short = frame(type: 20) { buffer in
            buffer.writeInteger(UInt8(1))
            buffer.writeInteger(UInt32(1))
            string("a", into: &buffer)
            buffer.writeBytes(Array(repeating: UInt8(0), count: 31))
        }
        #expect { _ = try PeerFrameCodec.decode(frame: &short) } throws: {
            ($0 as? WireError)?.message.contains("inside the digest") == true
        }
    }

    @Test func hello_fromAnOlderVersion_decodesWithoutOwnerships_soTheVersionCheckCanExplain() throws {
        var old = frame(type: 1) { buffer in
            buffer.writeInteger(UInt16(2))
            string("office", into: &buffer)
            string("alpha", into: &buffer)
        }
        let message = try PeerFrameCodec.decode(frame: &old)
        #expect(message == .hello(PeerHello(protocolVersion: 2, cluster: "office", node: "alpha")))
    }

    @Test func hello_withALyingOwnershipCount_isRefused() {
        var lying = frame(type: 1) { buffer in
            buffer.writeInteger(UInt16(3))
            string("office", into: &buffer)
            string("alpha", into: &buffer)
            buffer.writeInteger(UInt16(60000))
        }
        #expect { _ = try PeerFrameCodec.decode(frame: &lying) } throws: { ($0 as? WireError)?.code == .malformedFrame }
        var short = frame(type: 1) { buffer in
            buffer.writeInteger(UInt16(3))
            string("office", into: &buffer)
            string("alpha", into: &buffer)
            buffer.writeInteger(UInt16(2))
            string("web", into: &buffer)
        }
        #expect { _ = try PeerFrameCodec.decode(frame: &short) } throws: { $0 is WireError }
    }

    @Test func decoder_refusesOversizedFrameBeforeBufferingIt() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(PeerFrameDecoder()))
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(PeerFrameCodec.maximumFrameLength + 1))
        #expect { try channel.writeInbound(buffer) } throws: { ($0 as? WireError)?.code == .frameTooLarge }
        _ = try? channel.finish()
    }

    @Test func decoder_reassemblesFramesSplitAcrossReads() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(PeerFrameDecoder()))
        var buffer = ByteBuffer()
        PeerFrameCodec.encode(.openShare(group: "g", share: "s", incremental: false, resume: nil), into: &buffer)
        PeerFrameCodec.encode(.syncEnd, into: &buffer)
        while buffer.readableBytes > 0 {
            try channel.writeInbound(buffer.readSlice(length: min(3, buffer.readableBytes))!)
        }
        #expect(
            try channel.readInbound(as: PeerMessage.self)
                == .openShare(group: "g", share: "s", incremental: false, resume: nil))
        #expect(try channel.readInbound(as: PeerMessage.self) == .syncEnd)
        _ = try channel.finish()
    }

    @Test(arguments: [
        (UInt32(0), [UInt8](repeating: 1, count: 10)), (UInt32(5), []),
        (UInt32(5), [UInt8](repeating: 1, count: PeerMessage.maximumCompressedDictionary + 1)),
    ])
    func refuses_aDictionaryWithoutId_orEmpty_orLargerThanItsLimit(id: UInt32, data: [UInt8]) throws {
        var buffer = ByteBuffer()
        PeerFrameCodec.encode(.compressionDictionary(id: id, data: ByteBuffer(bytes: data)), into: &buffer)
        _ = buffer.readInteger(as: UInt32.self)
        let error = #expect(throws: WireError.self) { try PeerFrameCodec.decode(frame: &buffer) }
        #expect(error?.message.contains("compressionDictionary") == true)
    }

    @Test func refuses_aUsersDocumentLargerThanItsLimit() throws {
        var buffer = ByteBuffer()
        PeerFrameCodec.encode(
            .usersOffer(document: [UInt8](repeating: 0x20, count: PeerMessage.maximumUsersDocument + 1)), into: &buffer)
        _ = buffer.readInteger(as: UInt32.self)
        let error = #expect(throws: WireError.self) { try PeerFrameCodec.decode(frame: &buffer) }
        #expect(error?.message.contains("more than \(PeerMessage.maximumUsersDocument)") == true)
    }
}
