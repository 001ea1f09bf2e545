import UnderstudyCore

/// What a reload changes in place of the failover (see `ConfigurationReloader`).
extension FailoverService {
    /// Runs `group`'s checks as the reloaded configuration has them: the tasks of the old ones end after their current
    /// probe, the new ones start at once. A check kept exactly as it was keeps what it found (passing stays passing);
    /// a new or changed one starts unknown. With no check left, silence on every link alone means failure again.
    package func applyChecks(of group: GroupConfiguration) {
        guard groups.contains(where: { $0.name == group.name }) else {
            runtime.logger.notice(
                "group \(group.name) takes part in no failover on node \(runtime.name) (its nodes share no link): its checks run nowhere here"
            )
            return
        }
        let checks = group.takeover.checks
        let (round, started) = state.withLockedValue { state -> (Int, Bool) in
            let old = state.checks[group.name] ?? []
            let healths = state.observer.checks[group.name] ?? [:]
            state.observer.checks[group.name] = Dictionary(
                uniqueKeysWithValues: checks.map { check in
                    let kept = old.contains(check) ? healths[check.name] : nil
                    return (check.name, kept ?? CheckHealth(rise: check.rise, fall: check.fall))
                })
            state.checks[group.name] = checks
            state.machines[group.name]?.checksChanged(present: !checks.isEmpty)
            let round = (state.checkRounds[group.name] ?? 0) + 1
            state.checkRounds[group.name] = round
            return (round, state.checksStarted)
        }
        // Before `run` started the checks, it starts this round's itself.
        for check in checks where started {
            spawn { await self.runCheck(check, group: group.name, round: round) }
        }
        runtime.logger.notice(
            "group \(group.name): checks now \(checks.isEmpty ? "none (silence on every link alone means failure)" : checks.map { "\($0.name) (\($0.probe.typeName) \($0.probe.target))" }.joined(separator: ", "))"
        )
    }
}
