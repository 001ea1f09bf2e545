import UnderstudyCore
import UnderstudyHealth

extension FailoverService {
    /// Links, checks and groups as `understudy status` shows them.
    package func snapshot() -> FailoverStatus {
        let now = runtime.now()
        let counters = heartbeat?.counters ?? [:]
        return state.withLockedValue { state in
            var links: [LinkStatus] = []
            for (peer, liveness) in state.observer.liveness.sorted(by: { $0.key < $1.key }) {
                for link in liveness.links {
                    let route = counters[peer + "/" + link.name] ?? HeartbeatService.LinkCounters()
                    let local = counters[link.name] ?? HeartbeatService.LinkCounters()
                    links.append(
                        LinkStatus(
                            peer: peer, link: link.name, state: link.state.rawValue,
                            lastHeardAgo: link.lastHeard.map { now - $0 }, sent: route.sent, received: route.received,
                            refused: local.refused,
                            problem: local.listenError ?? route.lastSendError.map { "sending: \($0)" }
                                ?? local.lastRefusal))
                }
            }
            var checks: [CheckStatus] = []
            for group in groups {
                for check in state.checks[group.name] ?? [] {
                    guard let health = state.observer.checks[group.name]?[check.name] else { continue }
                    checks.append(Self.status(check, health, group: group.name, now: now))
                }
            }
            if let check = runtime.identity.settings.isolationCheck, let health = state.observer.isolation {
                checks.append(Self.status(check, health, group: nil, now: now))
            }
            let groupStatus = groups.compactMap { group -> GroupFailoverStatus? in
                guard let machine = state.machines[group.name] else { return nil }
                return GroupFailoverStatus(
                    group: group.name, mode: group.takeover.mode, phase: machine.phase,
                    phaseAgo: now - machine.phaseSince, epoch: machine.ownership.epoch, owner: machine.ownership.owner,
                    peerPhase: state.peerPhases[group.name], serviceAddress: group.takeover.serviceAddress?.description)
            }
            return FailoverStatus(links: links, checks: checks, groups: groupStatus)
        }
    }

    private static func status(
        _ check: CheckConfiguration, _ health: CheckHealth, group: String?, now: Double
    ) -> CheckStatus {
        CheckStatus(
            group: group, name: check.name, type: check.probe.typeName, target: check.probe.target,
            state: health.state.rawValue,
            lastMessage: health.lastMessage, lastResultAgo: health.lastResultAt.map { now - $0 })
    }
}
