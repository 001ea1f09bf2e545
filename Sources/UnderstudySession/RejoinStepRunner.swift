/// Performs `RejoinMachine`'s actions on a `RejoinFiles` tree, tells its `RejoinHost`, and puts what goes to the
/// serving node on `emit`; each result the machine needs is told to it, and its answer returned. The same runner
/// drives a rejoin on disk (Rejoin's `RejoinSession`) and in memory (the session tests).
package struct RejoinStepRunner<Files: RejoinFiles, Host: RejoinHost> {
    package let files: Files
    package let host: Host

    package init(files: Files, host: Host) {
        self.files = files
        self.host = host
    }

    /// Performs one action (not `finished`, which is the caller's); returns what the machine says next.
    package func perform(
        _ action: RejoinMachine.Action, machine: inout RejoinMachine, emit: (SessionOutput) async throws -> Void
    ) async throws -> [RejoinMachine.Action] {
        switch action {
        case .send(let message):
            try await emit(.send(message))
        case .flush:
            try await emit(.flush)
        case .scanLocal:
            let scan = try await files.scanLocal()
            return machine.scanned(
                scan.local, recordedReasons: scan.recordedReasons, unmadeCopies: scan.unmadeCopies,
                now: host.wallSeconds())
        case .keepAsConflict(let conflict, let copy):
            try files.keep(conflict, as: copy)
            host.kept(conflict, as: copy)
        case .push(let path, let entry, let reason):
            try await files.push(path: path, entry: entry, reason: reason, emit: emit)
        case .pushed(let path):
            host.pushed(path: path)
        case .finished:
            break
        }
        return []
    }
}
