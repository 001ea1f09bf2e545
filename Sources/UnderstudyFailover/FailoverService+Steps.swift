import UnderstudyCore

/// What the pair's machine and the recovery site's have in common in the engine: feeding a group's machine an event,
/// and performing the steps both decide alike (notices, fencing, the takeover, acquiring and releasing the address).
extension FailoverService {
    /// Feeds an event to the machine of `group` kept in `machines` (the pair's or the recovery site's); its actions
    /// join the group's queue, and are returned.
    @discardableResult
    func feed<Machine: TakeoverOutcomes>(
        _ group: String, in machines: WritableKeyPath<State, [String: Machine]>,
        _ event: (inout Machine) -> [FailoverAction]
    ) -> [FailoverAction] {
        let produced = state.withLockedValue { state -> [FailoverAction] in
            guard var machine = state[keyPath: machines][group] else { return [] }
            let produced = event(&machine)
            state[keyPath: machines][group] = machine
            return produced
        }
        enqueue(group, produced)
        return produced
    }

    /// Performs `action` if it is a step both machines share, telling its outcome to the group's machine in
    /// `machines`; false for any other action (the caller performs it). `site` is how the log names where it happens
    /// (empty, or " at the recovery site"), `kind` the takeover's metric label.
    func performShared<Machine: TakeoverOutcomes>(
        _ action: FailoverAction, actions: GroupActions, machines: WritableKeyPath<State, [String: Machine]>,
        site: String, kind: String
    ) async -> Bool {
        let group = actions.group.name
        switch action {
        case .notify(let kind, let severity, let topic, let summary, let detail):
            tell(
                NotificationEvent(
                    kind: kind, severity: severity, node: runtime.name, group: group, topic: topic,
                    summary: summary, detail: detail, time: runtime.clock.wallSeconds()))
        case .fence:
            let (succeeded, detail) = await actions.fence()
            feed(group, in: machines) { $0.fenceFinished(succeeded: succeeded, detail: detail, at: runtime.now()) }
        case .takeOver(let ownership):
            runtime.logger.notice("group \(group): taking over\(site) as \(ownership)")
            let started = runtime.now()
            // Stored, the ownership is the node's at once (`GroupActions.ownershipStored`), before address and scripts.
            let (stored, report) = await actions.takeOver(ownership)
            if stored { FailoverMetrics.takeover(group: group, kind: kind, seconds: runtime.now() - started) }
            runtime.event(
                stored ? .warning : .error, .takeover, "group \(group): " + report.lines.joined(separator: "; "))
            feed(group, in: machines) {
                $0.takeoverFinished(stored: stored, succeeded: report.succeeded, detail: report.text, at: runtime.now())
            }
        case .acquire:
            var report = GroupActions.Report()
            await actions.bringUp(&report)
            self.report(group, report.lines)
            runtime.logger.notice("group \(group): holds the service\(site) (\(report.lines.count) steps)")
            feed(group, in: machines) {
                $0.acquired(succeeded: report.succeeded, detail: report.text, at: runtime.now())
            }
        case .release(let runStopScripts):
            let report = await actions.release(runStopScripts: runStopScripts)
            self.report(group, report.lines)
            if !report.lines.isEmpty {
                runtime.event(.warning, .release, "group \(group): " + report.lines.joined(separator: "; "))
            }
            feed(group, in: machines) { $0.released(at: runtime.now()) }
            if !report.succeeded { retryRelease(group, report) }
        case .recordOwnership, .stopServices, .drain, .handOver, .handOverEnded:
            return false
        }
        return true
    }
}
