import UnderstudyCore
import UnderstudyWire

/// The source's files as the primary's sender reads them: the file-system protocol behind `PlanSendRunner`.
/// Replication's `FileSender` implements it over the share's tree on disk; the session tests over a tree in memory.
package protocol SourceFiles: AnyObject {
    /// What the sender learns of a file it sent (on disk: its status, for the index).
    associatedtype Receipt

    /// Sends one file on `emit`: `fileBegin`, its chunks (the whole content, or a delta against `signature`) and
    /// `fileEnd` with the hash of what was read — or `fileAbandon` when it changed while it was read.
    /// - Parameter progress: called with the bytes read after each chunk.
    func send(
        path: String, basis: DeltaBasis, signature: [UInt8]?, emit: (PeerMessage) async throws -> Void,
        progress: (Int64) -> Void
    ) async throws -> SentFile<Receipt>

    /// The files the next `send` calls will send whole, in their order (a batch's): a source may start reading them
    /// ahead. Nothing may reach the connection before its `send` call.
    func willSend(_ paths: [String])
}

extension SourceFiles {
    /// A source that reads each file when it is sent.
    package func willSend(_ paths: [String]) {}
}

/// How sending one file went.
package enum SentFile<Receipt> {
    case sent(hash: [UInt8], receipt: Receipt)
    /// Changed or vanished while read; nothing was committed on the replica.
    case abandoned(reason: String)
    /// Could not be read at all (nothing was sent).
    case skipped(reason: String)
}

/// What the primary's sender tells as it goes: progress, each file's fate.
package protocol PlanSendHost: AnyObject {
    associatedtype Receipt

    /// `bytes` more of the file being sent were read.
    func progress(bytes: Int64)
    func sent(path: String, hash: [UInt8], receipt: Receipt)
    func abandoned(path: String, reason: String)
    func skipped(path: String, reason: String)
    /// The file went whole (not as a delta): a request to send it whole is met.
    func sentWhole(path: String)
    /// One step of the batch was performed.
    func stepDone()
}
