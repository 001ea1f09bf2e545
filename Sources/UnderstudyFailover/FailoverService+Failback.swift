import Foundation
import UnderstudyCore

/// `failback = "auto"`: the configured standby, serving a group after a takeover, hands it back to the configured
/// primary by a planned switchover once that primary has rejoined and stayed a standby in step for
/// `failback_after`. The same switchover as `understudy failback`, with its refusals and reports.
extension FailoverService {
    func autoFailback(_ group: GroupConfiguration, generation: Int, every interval: Double = 0.5) async {
        var timer = FailbackTimer(after: group.takeover.failbackAfter.seconds)
        let logger = runtime.logger
        let wait = FailoverStateMachine.seconds(group.takeover.failbackAfter.seconds)
        while !Task.isCancelled && watches(group.name, generation: generation) {
            let serving =
                runtime.owns(group: group.name)
                && state.withLockedValue { $0.machines[group.name]?.phase } == .active
            // Maintenance holds the automatic failback too: it waits `failback_after` again once maintenance ends.
            let held = maintenance(group.name) != nil
            let ready = serving && !held && switchoverReadiness(group: group.name).ready
            switch timer.observe(ready: ready, at: runtime.now()) {
            case .none:
                break
            case .waiting:
                logger.notice(
                    "group \(group.name): \(group.primary) is a standby in step again; failing back to it in \(wait) s (failback = \"auto\") unless it falls out of step"
                )
            case .interrupted(let waited):
                logger.notice(
                    held
                        ? "group \(group.name): maintenance holds the automatic failback to \(group.primary) (waited \(FailoverStateMachine.seconds(waited)) s); it waits again once maintenance ends"
                        : "group \(group.name): \(group.primary) fell out of step after \(FailoverStateMachine.seconds(waited)) s; the automatic failback waits again"
                )
            case .failBack:
                logger.notice(
                    "group \(group.name): \(group.primary) was in step for \(wait) s: failing back (failback = \"auto\")"
                )
                let report = await switchover(group: group.name, force: false)
                for line in report.lines { logger.info("automatic failback of \(group.name): \(line)") }
                if report.ok {
                    logger.notice("group \(group.name): failed back to \(group.primary) in \(Self.ms(report.total))")
                } else {
                    logger.error(
                        "group \(group.name): the automatic failback to \(group.primary) did not happen; it is tried again after \(wait) s in step"
                    )
                }
                timer.attemptEnded()
            }
            try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
        }
    }
}
