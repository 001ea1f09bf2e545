#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import UnderstudyCore
import UnderstudyReplication
import UnderstudyState
import UnderstudySupport

/// Proves, on this node, each group it follows (its standby): every `verify_every`, and when asked. See the module's
/// overview for what a proof does.
public final class ProofService: Service, Sendable {
    let node: any ProofNode
    let launcher: ProofLauncher
    let notify: @Sendable (NotificationEvent) -> Void
    /// How often the schedule is looked at, in seconds.
    let tick: Double
    /// Groups with a proof under way.
    let running = NIOLockedValueBox<Set<String>>([])
    /// Groups whose last proof failed (a notification when one enters and when it leaves).
    let failing = NIOLockedValueBox<Set<String>>([])
    /// Groups told to wait for a first sync (said once).
    let waiting = NIOLockedValueBox<Set<String>>([])
    /// When each group's last proof started (wall seconds), recorded or not: a proof that could not be saved is not
    /// retried at every look.
    let attempted = NIOLockedValueBox<[String: Double]>([:])
    /// Each group's newest proof, as the database holds it (read once, then kept as proofs are made): the status,
    /// asked for every few seconds by the console, reads no database.
    let lastProofs = NIOLockedValueBox<[String: ProofRecord?]>([:])
    /// Groups whose primary's configuration changed since their last proof: proven at the next look, whatever the
    /// schedule says (a configuration that fails is reported before any failover).
    let configurationChanged = NIOLockedValueBox<Set<String>>([])

    package init(
        node: any ProofNode, executable: String?, notify: @escaping @Sendable (NotificationEvent) -> Void,
        tick: Double = 15
    ) {
        self.node = node
        launcher = ProofLauncher(executable: executable)
        self.notify = notify
        self.tick = tick
    }

    /// The groups this node follows now as their standby: it keeps their replica and another node serves them.
    var followed: [GroupConfiguration] {
        node.configuration.groups.keys.filter(follows).compactMap(node.currentGroup).sorted { $0.name < $1.name }
    }

    /// True when this node follows `name` now as its standby (status role standby, not the holder): never on the node
    /// that serves it, whose tree is the live data, nor on a configured primary that stepped down (until its rejoin,
    /// its tree is its own diverged copy, and its status still tells of the syncs it sent).
    func follows(_ name: String) -> Bool {
        guard !node.owns(group: name),
            let role = node.status.snapshot(now: node.now()).first(where: { $0.name == name })?.role
        else { return false }
        return role == .standby
    }

    public func run() async {
        _ = try? await onThread { self.removeLeftovers() }
        // A group whose last proof failed is failing from the start: its next passing proof is told as a recovery.
        for group in node.configuration.groups.keys {
            if let last = lastProof(group), !last.passed {
                _ = failing.withLockedValue { $0.insert(group) }
            }
        }
        // A proof under way at shutdown is cancelled with the rest: its process group is killed, and the kernel ends
        // its namespaces' processes with it.
        await cancelWhenGracefulShutdown { await self.proveWhenDue() }
    }

    /// Told when this node took new versions of `group`'s tracked configuration from its primary.
    package func configurationArrived(group: String) {
        guard configurationChanged.withLockedValue({ $0.insert(group).inserted }) else { return }
        node.logger.info("group \(group): the primary's configuration changed; the next proof runs on it at once")
    }

    private func proveWhenDue() async {
        while !Task.isCancelled {
            for group in followed where isDue(group) || changedAndProvable(group) {
                let changed = configurationChanged.withLockedValue { $0.remove(group.name) != nil }
                do {
                    _ = try await prove(
                        group: group.name, reason: changed ? "the primary's configuration changed" : "schedule")
                } catch {
                    // Not started (another proof of the group runs, on the configuration before): the change is
                    // proven at the next look.
                    if changed { _ = configurationChanged.withLockedValue { $0.insert(group.name) } }
                }
                if Task.isCancelled { return }
            }
            try? await node.clock.sleep(seconds: tick)
        }
    }

    /// True when `group`'s next scheduled proof is due: proofs on, something to prove, the replica in step since the
    /// start, and the last proof older than `verify_every`.
    func isDue(_ group: GroupConfiguration) -> Bool {
        guard let every = group.proof.every, Self.provable(group) else { return false }
        guard replicaAge(group) != nil else {
            if waiting.withLockedValue({ $0.insert(group.name).inserted }) {
                node.logger.info(
                    "group \(group.name): its first proof waits for the replica's first sync since the start")
            }
            return false
        }
        let now = node.clock.wallSeconds()
        if let tried = attempted.withLockedValue({ $0[group.name] }), now - tried < every.seconds { return false }
        guard let last = lastProof(group.name) else { return true }
        return now - last.startedAt.timeIntervalSince1970 >= every.seconds
    }

    /// True when the primary's configuration of `group` changed and a proof can run on it.
    func changedAndProvable(_ group: GroupConfiguration) -> Bool {
        // `verify_every = "off"`: proofs only when asked, this one too.
        group.proof.every != nil && configurationChanged.withLockedValue { $0.contains(group.name) }
            && Self.provable(group) && replicaAge(group) != nil
    }

    static func provable(_ group: GroupConfiguration) -> Bool {
        !group.takeover.startScripts.isEmpty || !group.takeover.checks.isEmpty
    }

    /// The readiness verdict of `group` (nil where this node does not follow it).
    package func readiness(group name: String) -> Readiness? {
        guard let group = node.currentGroup(name), follows(name) else { return nil }
        return Readiness.verdict(
            group: group, last: lastProof(name), running: running.withLockedValue { $0.contains(name) },
            now: Date(timeIntervalSince1970: node.clock.wallSeconds()))
    }

    /// The newest proof of `name`, from memory once read.
    func lastProof(_ name: String) -> ProofRecord? {
        if let known = lastProofs.withLockedValue({ $0[name] }) { return known }
        let stored = (try? node.database.lastProof(group: name)) ?? nil
        lastProofs.withLockedValue { $0[name] = stored }
        return stored
    }

    /// The proofs of `group` (every group when nil), newest first.
    package func proofs(group: String?, limit: Int) throws -> [ProofRecord] {
        try node.database.proofs(group: group, limit: limit)
    }

    /// How far behind the primary the replica of `group` (of its share `share`, or all) is known to be, in seconds:
    /// its lag while in step, the age of its last sync's start otherwise; nil when a share has not completed a sync
    /// since the daemon started (what it holds may be far older than it says).
    func replicaAge(_ group: GroupConfiguration, share: String? = nil) -> Double? {
        guard let status = node.status.snapshot(now: node.now()).first(where: { $0.name == group.name }),
            !status.shares.isEmpty
        else { return nil }
        var age = 0.0
        let now = node.clock.wallSeconds()
        for item in status.shares where share == nil || item.name == share {
            guard let lastSync = item.lastSyncAt, lastSync >= node.identity.startedAt else { return nil }
            if status.peerConnected && item.state == .inSync {
                age = max(age, item.lagSeconds)
            } else {
                age = max(age, now - lastSync.timeIntervalSince1970 + (item.lastSyncSeconds ?? 0))
            }
        }
        return age
    }

    /// Removes what proofs a crashed daemon left (their snapshot and scratch directories).
    func removeLeftovers() {
        let busy = running.withLockedValue { $0 }
        for context in node.shares.all where !busy.contains(context.groupName) {
            let root = ProofSnapshot.proofDirectory(replica: context.localPath)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: root), !names.isEmpty else {
                continue
            }
            node.logger.notice("removing \(names.count) unfinished proofs of \(context.key) in \(root)")
            for name in names {
                do {
                    try ProofSnapshot.remove(root + "/" + name)
                } catch {
                    node.logger.error("cannot remove the unfinished proof \(root)/\(name): \(error); remove it by hand")
                }
            }
        }
    }
}
