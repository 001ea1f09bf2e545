import NIOCore
import UnderstudyCore

/// Frames: a 4-byte big-endian length (of what follows), a 1-byte message type, the payload.
/// Decoding checks the length before buffering (a hostile peer cannot make us hold more than
/// `maximumFrameLength`), every field's bounds, and every path (`RelativePath.validate`).
public enum PeerFrameCodec {
    public static let maximumFrameLength = 16 * 1024 * 1024

    enum MessageType: UInt8 {
        case hello = 1, error, openShare, manifestChunk, manifestEnd, planSummary, operation, fileBegin
        case fileChunk, fileEnd, fileAbandon, signatureRequest, signatureChunk, signatureEnd, syncEnd, syncDone
        case operationFailed, syncScope, changesPending, contentDigests, rejoinOpen, conflictBegin, conflictStored
        case switchoverAsk, switchoverReport, usersOffer, compressionDictionary, fileChunkStored, sliceEnd
        case configAsk, configVersions

        var name: StaticString {
            switch self {
            case .hello: "hello"
            case .error: "error"
            case .openShare: "openShare"
            case .manifestChunk: "manifestChunk"
            case .manifestEnd: "manifestEnd"
            case .planSummary: "planSummary"
            case .operation: "operation"
            case .fileBegin: "fileBegin"
            case .fileChunk: "fileChunk"
            case .fileEnd: "fileEnd"
            case .fileAbandon: "fileAbandon"
            case .signatureRequest: "signatureRequest"
            case .signatureChunk: "signatureChunk"
            case .signatureEnd: "signatureEnd"
            case .syncEnd: "syncEnd"
            case .syncDone: "syncDone"
            case .operationFailed: "operationFailed"
            case .syncScope: "syncScope"
            case .changesPending: "changesPending"
            case .contentDigests: "contentDigests"
            case .rejoinOpen: "rejoinOpen"
            case .conflictBegin: "conflictBegin"
            case .conflictStored: "conflictStored"
            case .switchoverAsk: "switchoverAsk"
            case .switchoverReport: "switchoverReport"
            case .usersOffer: "usersOffer"
            case .compressionDictionary: "compressionDictionary"
            case .fileChunkStored: "fileChunkStored"
            case .sliceEnd: "sliceEnd"
            case .configAsk: "configAsk"
            case .configVersions: "configVersions"
            }
        }
    }

    public static func encode(_ message: PeerMessage, into buffer: inout ByteBuffer) {
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        let start = buffer.writerIndex
        buffer.writeInteger(message.messageType.rawValue)
        switch message {
        case .hello(let hello):
            buffer.writeInteger(hello.protocolVersion)
            buffer.writeWireString(hello.cluster)
            buffer.writeWireString(hello.node)
            let ownerships = hello.ownerships.sorted { $0.key < $1.key }.prefix(PeerHello.maximumOwnerships)
            buffer.writeInteger(UInt16(ownerships.count))
            for (group, ownership) in ownerships {
                buffer.writeWireString(group)
                buffer.writeInteger(ownership.epoch)
                buffer.writeWireString(ownership.owner)
            }
        case .error(let code, let text):
            buffer.writeInteger(code.rawValue)
            buffer.writeWireString(text)
        case .openShare(let group, let share, let incremental, let verify, let resume):
            buffer.writeWireString(group)
            buffer.writeWireString(share)
            buffer.writeInteger(UInt8((incremental ? 1 : 0) | (verify ? 2 : 0)))
            buffer.writeInteger(UInt8(resume == nil ? 0 : 1))
            if let resume {
                buffer.writeInteger(resume.captureID)
                buffer.writeInteger(resume.sequence)
            }
        case .syncScope(let scope):
            buffer.writeInteger(scope.upTo.captureID)
            buffer.writeInteger(scope.upTo.sequence)
            buffer.writeInteger(
                UInt8((scope.paths == nil ? 1 : 0) | (scope.captureComplete ? 2 : 0) | (scope.slice == nil ? 0 : 4)))
            buffer.writeInteger(UInt32(scope.paths?.count ?? 0))
            for item in scope.paths ?? [] {
                buffer.writeWireString(item.path)
                buffer.writeInteger(UInt8(item.recursive ? 1 : 0))
            }
            if let slice = scope.slice {
                buffer.writeInteger(UInt32(slice.limit))
                buffer.writeInteger(UInt8(slice.after == nil ? 0 : 1))
                if let after = slice.after { buffer.writeWireString(after) }
            }
        case .changesPending(let group, let share):
            buffer.writeWireString(group)
            buffer.writeWireString(share)
        case .contentDigests(let digests, let last):
            buffer.writeInteger(UInt8(last ? 1 : 0))
            buffer.writeInteger(UInt32(digests.count))
            for item in digests {
                buffer.writeWireString(item.path)
                buffer.writeBytes(item.digest)
            }
        case .manifestChunk(var data):
            buffer.writeBuffer(&data)
        case .manifestEnd(let partials, let removed):
            buffer.writeInteger(UInt32(partials.count))
            for partial in partials {
                buffer.writeWireString(partial.path)
                buffer.writeInteger(partial.size)
            }
            buffer.writeInteger(UInt32(removed.count))
            for path in removed { buffer.writeWireString(path) }
        case .planSummary(let summary):
            for value in [
                Int64(summary.files), summary.bytes, Int64(summary.deltas), Int64(summary.directories),
                Int64(summary.symlinks), Int64(summary.hardLinks), Int64(summary.renames),
                Int64(summary.deletions), Int64(summary.attributeUpdates),
            ] {
                buffer.writeInteger(value)
            }
        case .operation(let operation):
            buffer.writeOperation(operation)
        case .fileBegin(let header):
            buffer.writeWireString(header.path)
            buffer.writeInteger(header.size)
            buffer.writeAttributes(header.attributes)
            buffer.writeInteger(header.basis.rawValue)
        case .fileChunk(var data), .fileChunkStored(var data):
            buffer.writeBuffer(&data)
        case .fileEnd(let hash):
            buffer.writeWireBytes(hash)
        case .fileAbandon(let reason):
            buffer.writeWireString(reason)
        case .signatureRequest(let path, let basis):
            buffer.writeWireString(path)
            buffer.writeInteger(basis.rawValue)
        case .signatureChunk(let path, var data):
            buffer.writeWireString(path)
            buffer.writeBuffer(&data)
        case .signatureEnd(let path):
            buffer.writeWireString(path)
        case .syncEnd, .sliceEnd:
            break  // the type byte is the whole message
        case .syncDone(let report):
            buffer.writeInteger(report.filesApplied)
            buffer.writeInteger(report.bytesWritten)
            buffer.writeInteger(report.failures)
        case .operationFailed(let path, let code, let text):
            buffer.writeWireString(path)
            buffer.writeInteger(code.rawValue)
            buffer.writeWireString(text)
        case .rejoinOpen(let group, let share, let epoch):
            buffer.writeWireString(group)
            buffer.writeWireString(share)
            buffer.writeInteger(epoch)
        case .conflictBegin(let group, let share, let reason, let header):
            buffer.writeWireString(group)
            buffer.writeWireString(share)
            buffer.writeWireString(reason)
            buffer.writeWireString(header.path)
            buffer.writeInteger(header.size)
            buffer.writeAttributes(header.attributes)
        case .conflictStored(let path):
            buffer.writeWireString(path)
        case .switchoverAsk(let group, let failback, let force, let dryRun):
            buffer.writeWireString(group)
            buffer.writeInteger(UInt8((failback ? 1 : 0) | (force ? 2 : 0) | (dryRun ? 4 : 0)))
        case .switchoverReport(let ok, let text, let code):
            buffer.writeInteger(UInt8(ok ? 1 : 0))
            buffer.writeWireString(text)
            buffer.writeWireString(code ?? "")
        case .usersOffer(let document):
            buffer.writeInteger(UInt32(document.count))
            buffer.writeBytes(document)
        case .compressionDictionary(let id, var data):
            buffer.writeInteger(id)
            buffer.writeBuffer(&data)
        case .configAsk(let group, let after):
            buffer.writeWireString(group)
            buffer.writeInteger(after)
        case .configVersions(let group, let highest, let document):
            buffer.writeWireString(group)
            buffer.writeInteger(highest)
            buffer.writeInteger(UInt32(document.count))
            buffer.writeBytes(document)
        }
        buffer.setInteger(UInt32(buffer.writerIndex - start), at: lengthIndex)
    }

    /// Decodes one frame's body (type byte and payload, without the length prefix).
    public static func decode(frame: inout ByteBuffer) throws(WireError) -> PeerMessage {
        guard let rawType: UInt8 = frame.readInteger() else {
            throw WireError(.malformedFrame, "empty frame")
        }
        guard let type = MessageType(rawValue: rawType) else {
            throw WireError(.unknownMessageType, "unknown message type \(rawType)")
        }
        var reader = FrameReader(buffer: frame, messageName: type.name)
        let message: PeerMessage
        switch type {
        case .hello:
            let version: UInt16 = try reader.integer()
            let cluster = try reader.string("cluster")
            let node = try reader.string("node")
            var ownerships: [String: GroupOwnership] = [:]
            // An older peer's hello ends here; the version check that follows tells the user what to do.
            if version >= 3 {
                let count: UInt16 = try reader.integer()
                guard count <= PeerHello.maximumOwnerships else {
                    throw WireError(
                        .malformedFrame,
                        "hello claims \(count) group ownerships (at most \(PeerHello.maximumOwnerships))")
                }
                for _ in 0..<count {
                    let group = try reader.string("group")
                    let epoch: UInt64 = try reader.integer()
                    ownerships[group] = GroupOwnership(epoch: epoch, owner: try reader.string("owner"))
                }
            }
            message = .hello(PeerHello(protocolVersion: version, cluster: cluster, node: node, ownerships: ownerships))
        case .error:
            let raw: UInt16 = try reader.integer()
            message = .error(
                code: WireErrorCode(rawValue: raw) ?? .internalError, message: try reader.string("message"))
        case .openShare:
            let group = try reader.string("group")
            let share = try reader.string("share")
            let flags: UInt8 = try reader.integer()
            guard flags <= 3 else { throw WireError(.malformedFrame, "openShare: unknown flags \(flags)") }
            let hasResume: UInt8 = try reader.integer()
            guard hasResume <= 1 else {
                throw WireError(.malformedFrame, "openShare: resume flag \(hasResume) is neither 0 nor 1")
            }
            let resume =
                hasResume == 1 ? ResumePoint(captureID: try reader.integer(), sequence: try reader.integer()) : nil
            message = .openShare(
                group: group, share: share, incremental: flags & 1 == 1, verify: flags & 2 == 2, resume: resume)
        case .syncScope:
            let upTo = ResumePoint(captureID: try reader.integer(), sequence: try reader.integer())
            let flags: UInt8 = try reader.integer()
            guard flags <= 7 else { throw WireError(.malformedFrame, "syncScope: unknown flags \(flags)") }
            let count: UInt32 = try reader.integer()
            guard count <= SyncScope.maximumPaths, Int(count) <= reader.remaining / 5 + 1 else {
                throw WireError(
                    .malformedFrame,
                    "syncScope claims \(count) paths in \(reader.remaining) bytes (at most \(SyncScope.maximumPaths))")
            }
            var paths: [ScopedPath] = []
            paths.reserveCapacity(Int(count))
            for _ in 0..<count {
                let path = try reader.path("scope path")
                let recursive: UInt8 = try reader.integer()
                guard recursive <= 1 else {
                    throw WireError(
                        .malformedFrame,
                        "syncScope: recursive flag \(recursive) of \(String(reflecting: path)) is neither 0 nor 1")
                }
                paths.append(ScopedPath(path, recursive: recursive == 1))
            }
            if flags & 1 == 1 && count > 0 {
                throw WireError(.malformedFrame, "syncScope: names \(count) paths but also the whole share")
            }
            var slice: PathSlice?
            if flags & 4 == 4 {
                guard flags & 1 == 1 else {
                    throw WireError(.malformedFrame, "syncScope: a slice of the share but also \(count) paths")
                }
                let limit: UInt32 = try reader.integer()
                guard limit >= 1, limit <= SyncScope.maximumSliceLimit else {
                    throw WireError(
                        .malformedFrame,
                        "syncScope: a slice of \(limit) entries (from 1 to \(SyncScope.maximumSliceLimit))")
                }
                let hasStart: UInt8 = try reader.integer()
                guard hasStart <= 1 else {
                    throw WireError(.malformedFrame, "syncScope: slice start flag \(hasStart) is neither 0 nor 1")
                }
                slice = PathSlice(after: hasStart == 1 ? try reader.path("slice start") : nil, limit: Int(limit))
            }
            message = .syncScope(
                SyncScope(
                    paths: flags & 1 == 1 ? nil : paths, upTo: upTo, captureComplete: flags & 2 == 2, slice: slice))
        case .changesPending:
            message = .changesPending(group: try reader.string("group"), share: try reader.string("share"))
        case .contentDigests:
            let last: UInt8 = try reader.integer()
            guard last <= 1 else {
                throw WireError(.malformedFrame, "contentDigests: last flag \(last) is neither 0 nor 1")
            }
            let count: UInt32 = try reader.integer()
            guard Int(count) <= reader.remaining / 36 + 1 else {
                throw WireError(.malformedFrame, "contentDigests claims \(count) digests in \(reader.remaining) bytes")
            }
            var digests: [PathDigest] = []
            digests.reserveCapacity(Int(count))
            for _ in 0..<count {
                let path = try reader.path("digest path")
                guard let digest = reader.buffer.readBytes(length: 32) else {
                    throw WireError(
                        .malformedFrame, "contentDigests: frame ends inside the digest of \(String(reflecting: path))")
                }
                digests.append(PathDigest(path: path, digest: digest))
            }
            message = .contentDigests(digests, last: last == 1)
        case .manifestChunk:
            message = .manifestChunk(reader.rest())
        case .manifestEnd:
            let count: UInt32 = try reader.integer()
            guard Int(count) <= reader.remaining / 12 + 1 else {
                throw WireError(
                    .malformedFrame, "manifestEnd claims \(count) partial files in \(reader.remaining) bytes")
            }
            var partials: [PartialFile] = []
            for _ in 0..<count {
                partials.append(PartialFile(path: try reader.path("partial path"), size: try reader.integer()))
            }
            let removedCount: UInt32 = try reader.integer()
            guard Int(removedCount) <= reader.remaining / 4 + 1 else {
                throw WireError(
                    .malformedFrame, "manifestEnd claims \(removedCount) removed paths in \(reader.remaining) bytes")
            }
            var removed: [String] = []
            for _ in 0..<removedCount { removed.append(try reader.path("removed path")) }
            message = .manifestEnd(partials: partials, removed: removed)
        case .planSummary:
            var summary = SyncPlanSummary()
            summary.files = Int(try reader.integer() as Int64)
            summary.bytes = try reader.integer()
            summary.deltas = Int(try reader.integer() as Int64)
            summary.directories = Int(try reader.integer() as Int64)
            summary.symlinks = Int(try reader.integer() as Int64)
            summary.hardLinks = Int(try reader.integer() as Int64)
            summary.renames = Int(try reader.integer() as Int64)
            summary.deletions = Int(try reader.integer() as Int64)
            summary.attributeUpdates = Int(try reader.integer() as Int64)
            message = .planSummary(summary)
        case .operation:
            message = .operation(try reader.operation())
        case .fileBegin:
            let path = try reader.path("file path")
            let size: Int64 = try reader.integer()
            guard size >= 0 else {
                throw WireError(.malformedFrame, "fileBegin: negative size \(size) for \(String(reflecting: path))")
            }
            message = .fileBegin(
                FileHeader(path: path, size: size, attributes: try reader.attributes(), basis: try reader.basis()))
        case .fileChunk:
            message = .fileChunk(reader.rest())
        case .fileChunkStored:
            message = .fileChunkStored(reader.rest())
        case .fileEnd:
            let hash = try reader.bytes("content hash")
            guard hash.count == 32 else {
                throw WireError(.malformedFrame, "fileEnd: content hash has \(hash.count) bytes, expected 32")
            }
            message = .fileEnd(contentHash: hash)
        case .fileAbandon:
            message = .fileAbandon(reason: try reader.string("reason"))
        case .signatureRequest:
            message = .signatureRequest(path: try reader.path("signature path"), basis: try reader.basis())
        case .signatureChunk:
            message = .signatureChunk(path: try reader.path("signature path"), data: reader.rest())
        case .signatureEnd:
            message = .signatureEnd(path: try reader.path("signature path"))
        case .syncEnd:
            message = .syncEnd
        case .sliceEnd:
            message = .sliceEnd
        case .syncDone:
            message = .syncDone(
                SyncDoneReport(
                    filesApplied: try reader.integer(), bytesWritten: try reader.integer(),
                    failures: try reader.integer()))
        case .operationFailed:
            let path = try reader.path("failed path")
            let raw: UInt16 = try reader.integer()
            message = .operationFailed(
                path: path, code: WireErrorCode(rawValue: raw) ?? .internalError, message: try reader.string("message"))
        case .rejoinOpen:
            message = .rejoinOpen(
                group: try reader.string("group"), share: try reader.string("share"), epoch: try reader.integer())
        case .conflictBegin:
            let group = try reader.string("group")
            let share = try reader.string("share")
            let reason = try reader.string("reason")
            let path = try reader.path("conflict path")
            let size: Int64 = try reader.integer()
            guard size >= 0 else {
                throw WireError(.malformedFrame, "conflictBegin: negative size \(size) for \(String(reflecting: path))")
            }
            message = .conflictBegin(
                group: group, share: share, reason: reason,
                header: FileHeader(path: path, size: size, attributes: try reader.attributes(), basis: .none))
        case .conflictStored:
            message = .conflictStored(path: try reader.path("conflict path"))
        case .switchoverAsk:
            let group = try reader.string("group")
            let flags: UInt8 = try reader.integer()
            guard flags & ~7 == 0 else { throw WireError(.malformedFrame, "switchoverAsk: unknown flags \(flags)") }
            message = .switchoverAsk(
                group: group, failback: flags & 1 != 0, force: flags & 2 != 0, dryRun: flags & 4 != 0)
        case .switchoverReport:
            let ok: UInt8 = try reader.integer()
            guard ok <= 1 else { throw WireError(.malformedFrame, "switchoverReport: ok is \(ok), not 0 or 1") }
            let text = try reader.string("report")
            let code = try reader.string("code")
            // A code is a short word of lower-case letters, digits and dashes (`peer-not-ready`), shown as is.
            guard code.utf8.count <= 64,
                code.utf8.allSatisfy({ (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d })
            else {
                throw WireError(
                    .malformedFrame,
                    "switchoverReport: code \(String(reflecting: String(code.prefix(64)))) is not a code")
            }
            message = .switchoverReport(ok: ok == 1, text: text, code: code.isEmpty ? nil : code)
        case .usersOffer:
            let document = try reader.bytes("document")
            guard document.count <= PeerMessage.maximumUsersDocument else {
                throw WireError(
                    .malformedFrame,
                    "usersOffer: the document is \(document.count) bytes, more than \(PeerMessage.maximumUsersDocument)"
                )
            }
            message = .usersOffer(document: document)
        case .configAsk:
            message = .configAsk(group: try reader.string("group"), after: try reader.integer())
        case .configVersions:
            let group = try reader.string("group")
            let highest: UInt64 = try reader.integer()
            let document = try reader.bytes("document")
            guard document.count <= PeerMessage.maximumConfigDocument else {
                throw WireError(
                    .malformedFrame,
                    "configVersions: the document is \(document.count) bytes, more than \(PeerMessage.maximumConfigDocument)"
                )
            }
            message = .configVersions(group: group, highest: highest, document: document)
        case .compressionDictionary:
            let id: UInt32 = try reader.integer()
            let data = reader.rest()
            guard id != 0, (1...PeerMessage.maximumCompressedDictionary).contains(data.readableBytes) else {
                throw WireError(
                    .malformedFrame,
                    "compressionDictionary: id \(id) with \(data.readableBytes) bytes (an id other than 0, 1 to "
                        + "\(PeerMessage.maximumCompressedDictionary) bytes)")
            }
            message = .compressionDictionary(id: id, data: data)
        }
        try reader.expectEnd()
        return message
    }
}
