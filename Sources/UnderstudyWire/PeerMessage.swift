import NIOCore
import UnderstudyCore

/// The replication protocol between a primary (which serves its shares) and a standby (which connects and
/// pulls). It knows no sockets: messages become frames in `PeerFrameCodec`, TLS and TCP live in the engine.
///
/// A sync of one share, with S the standby and P the primary:
///   S→P openShare(resume?)                                              (a full comparison, or only what
///                                                                       changed since the acknowledged point)
///   P→S syncScope                                                       (the primary decides: the whole
///                                                                       share, or the paths its journal holds)
///   S→P manifestChunk* · S→P manifestEnd(partials)                      (the replica within the scope, or what
///                                                                       changed since the last full sync on
///                                                                       this connection)
///   P→S planSummary                                                     (what will move)
///   P→S operation / fileBegin fileChunk* fileEnd / fileAbandon          (the plan, pipelined; a chunk that does
///                                                                       not compress is a fileChunkStored)
///   P→S signatureRequest   S→P signatureChunk* signatureEnd             (bases for deltas, in parallel)
///   P→S syncEnd            S→P syncDone                                 (durable on the replica: the
///                                                                       acknowledgement of the scope)
/// A full comparison of a large tree goes in slices (`SyncScope.slice`): each slice is compared like a sync and ends
/// with P→S sliceEnd  S→P syncDone (durable, not yet an acknowledgement); P→S syncScope opens the next one, and the
/// last ends with syncEnd.
/// Before a node that served the group follows the one that holds it now (a rejoin), per share:
///   S→P rejoinOpen(epoch)                                               (the epoch it is about to follow)
///   P→S manifestChunk* · manifestEnd  (the serving tree)  manifestChunk* · manifestEnd  (its tree at the takeover)
///   S→P conflictBegin fileChunk* fileEnd   P→S conflictStored            (each version kept as a conflict copy)
/// On a connection of its own, a node asks the node serving a group to move the group to it:
///   S→P switchoverAsk   P→S switchoverReport                          (a planned switchover or failback, run
///                                                                       by the serving node; minutes at most)
/// On a connection of its own, a node that follows a group asks for the tracked configuration's new versions:
///   S→P configAsk(after)   P→S configVersions(highest, document)     (repeated until nothing is left)
/// Within the plan, before the first file compressed with it: P→S compressionDictionary (once per connection).
/// Outside that order, at any time: P→S changesPending — the primary captured changes; the standby starts a
/// live sync as soon as it can.
/// Every path on the wire is relative to the share root and validated when decoded.
public enum PeerMessage: Sendable, Equatable {
    case hello(PeerHello)
    case error(code: WireErrorCode, message: String)
    /// `incremental`: the manifest that follows holds only what changed since the one sent for this share
    /// earlier on this connection (and `manifestEnd` names what was removed).
    /// `resume`: the point the standby last acknowledged; with it, the standby asks for only what changed since.
    /// `verify`: a full comparison by content — the standby follows its manifest with `contentDigests`.
    case openShare(group: String, share: String, incremental: Bool, verify: Bool = false, resume: ResumePoint?)
    /// SHA-256 of replica files, read for a verification; `last` ends them.
    case contentDigests([PathDigest], last: Bool)
    case syncScope(SyncScope)
    case changesPending(group: String, share: String)
    /// Entries of the replica's manifest, encoded by `ManifestCodec` and zstd-compressed by the engine
    /// (paths and attributes compress several times over; the wire module itself knows no compression).
    case manifestChunk(ByteBuffer)
    case manifestEnd(partials: [PartialFile], removed: [String])
    case planSummary(SyncPlanSummary)
    /// Any plan step but `sendFile`, which travels as fileBegin/fileChunk/fileEnd.
    case operation(SyncOperation)
    case fileBegin(FileHeader)
    /// zstd-compressed bytes of the current file's payload (the content, or a delta in librsync's format).
    case fileChunk(ByteBuffer)
    /// Bytes of the current file's payload as they are, not compressed: a sample of them showed that zstd would not
    /// shrink them (random data, media, archives). The zstd stream of the file's `fileChunk`s goes on around them.
    case fileChunkStored(ByteBuffer)
    /// SHA-256 of the file's content as the primary read it; the standby checks its result against it.
    case fileEnd(contentHash: [UInt8])
    /// The current file changed or vanished while it was read; the standby discards what it received.
    case fileAbandon(reason: String)
    case signatureRequest(path: String, basis: DeltaBasis)
    case signatureChunk(path: String, data: ByteBuffer)
    case signatureEnd(path: String)
    case syncEnd
    /// The end of one slice of a sliced comparison: make it durable and answer `syncDone`; another slice follows.
    case sliceEnd
    case syncDone(SyncDoneReport)
    /// The standby could not apply a step; the primary may resend the file whole.
    case operationFailed(path: String, code: WireErrorCode, message: String)
    /// A node that served the group asks for the serving tree and the base of `epoch` before following it.
    case rejoinOpen(group: String, share: String, epoch: UInt64)
    /// A conflict copy (its content follows as fileChunk*, fileEnd) for the serving tree; `reason` says why.
    case conflictBegin(group: String, share: String, reason: String, header: FileHeader)
    /// The conflict copy is durable in the serving tree.
    case conflictStored(path: String)
    /// Asks the node serving `group` to hand it to the asker: a switchover (or a failback, which is one towards
    /// the configured primary); `dryRun`: only say whether it could, and what it would do.
    case switchoverAsk(group: String, failback: Bool, force: Bool, dryRun: Bool)
    /// The serving node's answer: `ok` false when refused or failed; `text` is its report; `code` the stable code of
    /// a refusal or failure (see `CodedError`), so the asker's command line shows the same one.
    case switchoverReport(ok: Bool, text: String, code: String? = nil)
    /// The console's users and tokens as the sender holds them (a JSON document of at most
    /// `maximumUsersDocument` bytes): the receiver takes it if it is newer than its own and answers with its own.
    case usersOffer(document: [UInt8])
    /// P→S, within a sync, before the first file compressed with it: a zstd dictionary trained on the share's small
    /// files (`id` as in its frames; `data` the dictionary itself zstd-compressed, at most
    /// `maximumCompressedDictionary` bytes). The standby keeps it for the rest of the connection.
    case compressionDictionary(id: UInt32, data: ByteBuffer)
    /// Asks the node that tracks `group`'s configuration files for the versions after `after` in the group's
    /// sequence.
    case configAsk(group: String, after: UInt64)
    /// The answer: the group's versions after the asked sequence, oldest first, as a JSON document of at most
    /// `maximumConfigDocument` bytes (empty: none); `highest` is the tracker's highest sequence (lower than what the
    /// asker holds: the tracker's history began again, and the asker's copy is replaced).
    case configVersions(group: String, highest: UInt64, document: [UInt8])

    public static let maximumUsersDocument = 1 << 20
    public static let maximumConfigDocument = 8 << 20
    public static let maximumCompressedDictionary = 1 << 20

    public var typeName: String { messageType.name.description }

    /// The frame type byte of this message.
    var messageType: PeerFrameCodec.MessageType {
        switch self {
        case .hello: .hello
        case .error: .error
        case .openShare: .openShare
        case .syncScope: .syncScope
        case .changesPending: .changesPending
        case .contentDigests: .contentDigests
        case .manifestChunk: .manifestChunk
        case .manifestEnd: .manifestEnd
        case .planSummary: .planSummary
        case .operation: .operation
        case .fileBegin: .fileBegin
        case .fileChunk: .fileChunk
        case .fileEnd: .fileEnd
        case .fileAbandon: .fileAbandon
        case .signatureRequest: .signatureRequest
        case .signatureChunk: .signatureChunk
        case .signatureEnd: .signatureEnd
        case .syncEnd: .syncEnd
        case .sliceEnd: .sliceEnd
        case .syncDone: .syncDone
        case .operationFailed: .operationFailed
        case .rejoinOpen: .rejoinOpen
        case .conflictBegin: .conflictBegin
        case .conflictStored: .conflictStored
        case .switchoverAsk: .switchoverAsk
        case .switchoverReport: .switchoverReport
        case .usersOffer: .usersOffer
        case .compressionDictionary: .compressionDictionary
        case .fileChunkStored: .fileChunkStored
        case .configAsk: .configAsk
        case .configVersions: .configVersions
        }
    }
}

public struct PeerHello: Sendable, Equatable {
    /// 3: the hello carries who holds each group the two nodes share. 4: rejoin and conflict copies.
    /// 5: a switchover asked for on the follower. 6: its report carries the code of a refusal. 7: the console's
    /// users travel between nodes (`usersOffer`). 8: small files compressed with a trained dictionary
    /// (`compressionDictionary`). 9: block signatures with XXH3 sums (`signatureChunk` no longer carries librsync's).
    /// 10: chunks that do not compress travel as they are (`fileChunkStored`). 11: a full comparison of a large tree
    /// goes in slices (`SyncScope.slice`, `sliceEnd`). 12: the tracked configuration travels (`configAsk`,
    /// `configVersions`).
    public static let currentProtocolVersion: UInt16 = 12
    public static let maximumOwnerships = 1024
    public var protocolVersion: UInt16
    public var cluster: String
    public var node: String
    /// The sender's view of who holds each group it shares with the receiver: a node that learns of a higher
    /// epoch this way steps down as it would on a heartbeat.
    public var ownerships: [String: GroupOwnership]

    public init(
        protocolVersion: UInt16 = PeerHello.currentProtocolVersion, cluster: String, node: String,
        ownerships: [String: GroupOwnership] = [:]
    ) {
        self.protocolVersion = protocolVersion
        self.cluster = cluster
        self.node = node
        self.ownerships = ownerships
    }
}

public struct PartialFile: Sendable, Equatable {
    public var path: String
    public var size: Int64

    public init(path: String, size: Int64) {
        self.path = path
        self.size = size
    }
}

public struct FileHeader: Sendable, Equatable {
    public var path: String
    public var size: Int64
    public var attributes: FileAttributes
    public var basis: DeltaBasis

    public init(path: String, size: Int64, attributes: FileAttributes, basis: DeltaBasis) {
        self.path = path
        self.size = size
        self.attributes = attributes
        self.basis = basis
    }
}

public struct SyncDoneReport: Sendable, Equatable {
    public var filesApplied: Int64
    public var bytesWritten: Int64
    public var failures: Int64

    public init(filesApplied: Int64, bytesWritten: Int64, failures: Int64) {
        self.filesApplied = filesApplied
        self.bytesWritten = bytesWritten
        self.failures = failures
    }

    /// The figures of two slices of one comparison together.
    public static func + (lhs: SyncDoneReport, rhs: SyncDoneReport) -> SyncDoneReport {
        SyncDoneReport(
            filesApplied: lhs.filesApplied + rhs.filesApplied, bytesWritten: lhs.bytesWritten + rhs.bytesWritten,
            failures: lhs.failures + rhs.failures)
    }
}

/// A point in the primary's change journal: which run of its change capture, and how far into it.
public struct ResumePoint: Sendable, Equatable, Hashable {
    public var captureID: UInt64
    public var sequence: UInt64

    public init(captureID: UInt64, sequence: UInt64) {
        self.captureID = captureID
        self.sequence = sequence
    }
}

/// What one sync compares, as the primary decided it.
public struct SyncScope: Sendable, Equatable {
    /// At most this many paths travel: the journal's paths and their parents. A larger change set is compared
    /// whole.
    public static let maximumPaths = 2 * ChangeJournal.maximumEntries
    /// The largest slice a standby is asked to describe.
    public static let maximumSliceLimit: UInt32 = 10_000_000

    /// nil: the whole share.
    public var paths: [ScopedPath]?
    /// The acknowledgement of this sync covers the journal up to here.
    public var upTo: ResumePoint
    /// The primary's change capture sees every change (no watch-limit problem): if false, the standby compares
    /// whole trees more often.
    public var captureComplete: Bool
    /// One slice of a whole share's comparison (`paths` is then nil): the standby describes only the slice.
    public var slice: PathSlice?

    public init(paths: [ScopedPath]?, upTo: ResumePoint, captureComplete: Bool, slice: PathSlice? = nil) {
        precondition(slice == nil || paths == nil, "a slice is part of the whole share")
        self.paths = paths
        self.upTo = upTo
        self.captureComplete = captureComplete
        self.slice = slice
    }
}

/// A file's path and the SHA-256 of its content.
public struct PathDigest: Sendable, Equatable {
    public var path: String
    public var digest: [UInt8]

    public init(path: String, digest: [UInt8]) {
        self.path = path
        self.digest = digest
    }
}
