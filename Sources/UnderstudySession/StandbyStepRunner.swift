import NIOCore
import UnderstudyCore
import UnderstudyWire

/// Performs `StandbySyncMachine`'s actions: the replica's steps on a `ReplicaFiles` tree, what it tells through its
/// `StandbyStepsHost`, and what goes out on the connection through `emit`; each result the machine needs is told
/// to it, and its answer returned. The same runner drives a replica on disk (Replication's `StandbyShareSync`) and
/// one in memory (the session tests).
package struct StandbyStepRunner<Files: ReplicaFiles, Host: StandbyStepsHost> {
    package typealias Action = StandbySyncMachine.Action

    package let files: Files
    package let host: Host
    /// The file being received.
    package private(set) var current: Files.Incoming?

    package init(files: Files, host: Host) {
        self.files = files
        self.host = host
    }

    /// Performs one action; returns what the machine says next (after a result it must know).
    package mutating func perform(
        _ action: Action, machine: inout StandbySyncMachine, emit: (SessionOutput) async throws -> Void
    ) async throws -> [Action] {
        switch action {
        case .send(let message):
            try await emit(.send(message))
        case .flush:
            try await emit(.flush)
        case .describeReplica(let scope):
            return try machine.described(try await files.describe(scope))
        case .sendDigests(let entries):
            try await sendDigests(of: entries, emit: emit)
        case .announce(let plan):
            host.announced(plan)
        case .removePartials(let paths):
            do {
                try files.removePartials(paths)
            } catch {
                return fail(files.path(of: error) ?? "", error, &machine)
            }
        case .apply(let operation):
            do {
                try files.apply(operation)
            } catch {
                return fail(operation.touchedPaths.last ?? "", error, &machine)
            }
        case .beginFile(let header):
            current?.discard()
            do {
                current = try files.beginFile(header)
            } catch {
                current = nil
                return fail(header.path, error, &machine)
            }
        case .receiveChunk(let data, let compressed):
            return receive(data, compressed: compressed, &machine)
        case .addDictionary(let id, let data):
            do {
                try data.withUnsafeReadableBytes { try files.addDictionary(id: id, compressed: $0) }
            } catch {
                throw PeerSessionError.refused(
                    "the primary sent a compression dictionary that cannot be used: \(error)")
            }
        case .commitFile(let path, let hash):
            guard let file = current else { return [] }
            current = nil
            do {
                try await files.commit(file, expectedHash: hash)
            } catch {
                return fail(path, error, &machine)
            }
            host.committed(path: path)
        case .discardFile:
            discardCurrent()
        case .computeSignature(let path, let basis):
            let signature: [UInt8]
            do {
                signature = try files.signature(of: path, basis: basis)
            } catch {
                return fail(path, error, &machine)
            }
            return machine.signatureComputed(path: path, signature)
        case .makeDurable(let partials):
            let (filesApplied, bytesWritten) = try await files.makeDurable(removingPartials: partials)
            return machine.madeDurable(filesApplied: filesApplied, bytesWritten: bytesWritten)
        case .saveResumePoint(let point):
            try await host.saveResumePoint(point)
        case .finished:
            break
        }
        return []
    }

    /// Drops the file being received, if any (the sync ended without its end).
    package mutating func discardCurrent() {
        current?.discard()
        current = nil
    }

    private mutating func receive(
        _ data: ByteBuffer, compressed: Bool, _ machine: inout StandbySyncMachine
    ) -> [Action] {
        guard let file = current else { return [] }
        let before = file.bytesWritten
        do {
            try data.withUnsafeReadableBytes { try file.receive($0, compressed: compressed) }
            // Progress moves with every chunk, so one multi-GiB file does not look stalled.
            host.received(bytes: file.bytesWritten - before)
            return []
        } catch {
            file.discard()
            current = nil
            return fail(file.header.path, error, &machine)
        }
    }

    /// Reads every replica file for a verification and sends the digests in chunks. A file that cannot be read now
    /// is left out (and so not judged).
    private func sendDigests(of entries: [ManifestEntry], emit: (SessionOutput) async throws -> Void) async throws {
        var chunk: [PathDigest] = []
        for entry in entries where entry.kind == .file {
            guard let digest = try? files.contentHash(of: entry.path) else { continue }
            chunk.append(PathDigest(path: entry.path, digest: digest))
            if chunk.count == ManifestTransfer.chunkEntries {
                try await emit(.send(.contentDigests(chunk, last: false)))
                chunk.removeAll(keepingCapacity: true)
            }
        }
        try await emit(.send(.contentDigests(chunk, last: true)))
    }

    /// A step that could not be taken: told to the host, and to the primary through the machine.
    private func fail(_ path: String, _ error: any Error, _ machine: inout StandbySyncMachine) -> [Action] {
        let code = files.wireCode(for: error)
        host.failed(path: path, code: code, error: error)
        return machine.failed(path: path, code: code, message: "\(error)")
    }
}
