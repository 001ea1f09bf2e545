import NIOCore
import UnderstudyCore
import UnderstudyWire

/// The serving node's half of one conflict copy pushed during a rejoin (`conflictBegin`, `fileChunk*`, `fileEnd`,
/// answered by `conflictStored`), as a state machine. Only a name with the conflict marker is taken, and the copy is
/// confirmed only once it is kept durably; a copy already in place from an interrupted attempt counts as kept.
///
/// It reads no file and no socket: the I/O code performs its actions and reports the result of `keep`. `.end`
/// closes the exchange: the I/O code throws its error after the actions before it.
package struct ConflictCopyMachine {
    package enum Action: Equatable, Sendable {
        case send(PeerMessage)
        case flush
        /// Open a temporary for the copy (its content follows).
        case begin(FileHeader)
        /// Payload bytes: zstd-compressed, or as they are (`compressed` false).
        case receive(ByteBuffer, compressed: Bool)
        /// Check the copy against the hash, record it, and put it in place (never over an existing file); answer
        /// with `kept()` or `keepFailed(alreadyInPlace:reason:)`.
        case keep(FileHeader, contentHash: [UInt8])
        /// Drop the temporary.
        case discard
        /// The copy is kept: record it (once), tell the log, the event log and the conflict news.
        case accepted(FileHeader, reason: String)
        /// The exchange ends with this error.
        case end(PeerSessionError)
    }

    private enum State {
        case receiving
        case keeping
        case ended
    }

    package let header: FileHeader
    package let reason: String
    private var state = State.receiving

    private init(header: FileHeader, reason: String) {
        self.header = header
        self.reason = reason
    }

    /// The peer's `conflictBegin`: the machine, and what to do first (a name without the marker is refused).
    package static func begin(header: FileHeader, reason: String) -> (Self, [Action]) {
        var machine = Self(header: header, reason: reason)
        guard ConflictName.isConflictCopy(header.path) else {
            machine.state = .ended
            let text =
                "refused a conflict copy named \(RelativePath.shown(header.path)): only names with \(ConflictName.marker) are taken"
            return (machine, [.send(.error(code: .pathRefused, message: text)), .flush, .end(.refused(text))])
        }
        let plain = FileHeader(path: header.path, size: header.size, attributes: header.attributes, basis: .none)
        return (machine, [.begin(plain)])
    }

    /// What the exchange waits for, for a message that says where it ended.
    package var stage: String { "while receiving a conflict copy" }

    /// The copy was confirmed, or the exchange ended.
    package var isFinished: Bool { state == .ended }

    package mutating func receive(_ message: PeerMessage) -> [Action] {
        guard state == .receiving else { return [.end(.unexpected(message, "while a conflict copy was kept"))] }
        switch message {
        case .fileChunk(let data):
            return [.receive(data, compressed: true)]
        case .fileChunkStored(let data):
            return [.receive(data, compressed: false)]
        case .fileEnd(let hash):
            state = .keeping
            return [.keep(header, contentHash: hash)]
        case .error(let code, let text):
            state = .ended
            return [.discard, .end(.remote(code, text))]
        default:
            state = .ended
            return [.discard, .end(.unexpected(message, stage))]
        }
    }

    /// The copy is in place and recorded.
    package mutating func kept() -> [Action] {
        precondition(state == .keeping, "a copy is kept after its end")
        state = .ended
        return [.accepted(header, reason: reason), .send(.conflictStored(path: header.path)), .flush]
    }

    /// The copy could not be kept; `alreadyInPlace`: a copy of that size and time is there from an earlier,
    /// interrupted attempt, which counts as kept.
    package mutating func keepFailed(alreadyInPlace: Bool, reason failure: String) -> [Action] {
        precondition(state == .keeping, "a copy is kept after its end")
        if alreadyInPlace { return kept() }
        state = .ended
        let text = "could not keep conflict copy \(header.path): \(failure)"
        return [.send(.error(code: .internalError, message: text)), .flush, .end(.refused(text))]
    }
}
