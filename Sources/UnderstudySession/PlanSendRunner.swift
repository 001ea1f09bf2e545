import UnderstudyWire

/// Performs, in order, what `PrimarySyncMachine` sends: messages, flushes, and files read from a `SourceFiles` tree
/// and sent whole or as deltas; each file's fate is told to its `PlanSendHost`. The same runner sends from the
/// share's tree on disk (Replication's `PlanSender`) and from a tree in memory (the session tests).
package struct PlanSendRunner<Source: SourceFiles, Host: PlanSendHost> where Host.Receipt == Source.Receipt {
    package let source: Source
    package let host: Host

    package init(source: Source, host: Host) {
        self.source = source
        self.host = host
    }

    /// Performs one batch of the machine's sends.
    package func perform(
        _ batch: [PrimarySyncMachine.Action], emit: (SessionOutput) async throws -> Void
    ) async throws {
        // The source may read ahead the files the batch sends whole, while the ones before them go out.
        let whole = batch.compactMap { step -> String? in
            guard case .sendFile(let path, _, nil) = step else { return nil }
            return path
        }
        if !whole.isEmpty { source.willSend(whole) }
        for step in batch {
            try Task.checkCancellation()
            switch step {
            case .send(let message):
                try await emit(.send(message))
            case .flush:
                try await emit(.flush)
            case .sendFile(let path, let basis, let signature):
                let outcome = try await source.send(
                    path: path, basis: basis, signature: signature, emit: { try await emit(.send($0)) },
                    progress: { host.progress(bytes: $0) })
                switch outcome {
                case .sent(let hash, let receipt): host.sent(path: path, hash: hash, receipt: receipt)
                case .abandoned(let reason): host.abandoned(path: path, reason: reason)
                case .skipped(let reason): host.skipped(path: path, reason: reason)
                }
                if signature == nil { host.sentWhole(path: path) }
            case .plan, .standbyFailed, .finished:
                break
            }
            host.stepDone()
        }
    }
}
