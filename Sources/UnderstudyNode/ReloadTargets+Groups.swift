import UnderstudyCore
import UnderstudyReplication

/// Groups a reload adds or removes on a node that is their primary or standby (`ConfigurationChanges.groupsAdded`,
/// `groupsRemoved`): they start and stop while every other group runs on untouched.
extension ReloadTargets {
    /// Starts the groups added and stops those removed. Returns those that could not be, with why: they wait for the
    /// restart.
    func applyGroups(_ changes: ConfigurationChanges, from loaded: ClusterConfiguration) -> [String: String] {
        var failed: [String: String] = [:]
        let nodes = loaded.nodes.filter { changes.nodesAdded.contains($0.key) }
        // Known before any group is judged: a new primary's links decide whether its group takes part in failover.
        runtime.changeConfiguration { configuration in
            for (name, node) in nodes { configuration.nodes[name] = node }
        }
        var removals: [Task<Void, Never>] = []
        for name in changes.groupsRemoved {
            switch removeGroup(name) {
            case .success(let removal): removals.append(removal)
            case .failure(let refusal): failed[name] = refusal.why
            }
        }
        for name in changes.groupsAdded {
            guard let group = loaded.groups[name] else { continue }
            if let why = addGroup(group, after: removals) {
                failed[name] = why
                runtime.logger.error(
                    "group \(name) added: \(why); it starts when the daemon restarts")
            }
        }
        return failed
    }

    /// Why a group cannot start or stop during the daemon's start (its parts do not run yet).
    static let starting = "the daemon was still starting; run `understudy reload` again"

    /// Why `group` cannot start now, or nil when it can.
    private func refusal(toAdd group: GroupConfiguration) -> String? {
        if !listens {
            return "node \(runtime.name) ran no group when its daemon started, so it does not listen for peers"
        }
        if group.standby == runtime.name && archives == nil {
            return
                "node \(runtime.name) was standby of no group when its daemon started (archives and history start with it)"
        }
        return nil
    }

    /// Starts `group`: its shares, its sync requests, its failover, then (its archive directories opened) its capture
    /// or its follower. Nil once started; else why not, with nothing of it left running.
    /// - Parameter removals: the groups the same reload removes: their follower and capture stop first (a renamed
    ///   group keeps its trees, which two followers must never write at once).
    private func addGroup(_ group: GroupConfiguration, after removals: [Task<Void, Never>]) -> String? {
        guard let parts = running.parts else { return Self.starting }
        if let why = refusal(toAdd: group) { return why }
        let contexts: [ShareContext]
        do {
            contexts = try runtime.addGroup(group)
            // Judged with the nodes the reload added known: a new primary's links decide whether the group takes
            // part in failover here.
            if let why = failover.refusal(toWatch: group) { throw GroupRefusal(why: why) }
            parts.requests.add(group: group.name, clock: runtime.clock)
            try failover.addGroup(group)
        } catch {
            // Nothing of the group runs; the nodes added with it wait for the restart with it (`keepOut`).
            _ = runtime.removeGroup(group.name)
            parts.requests.remove(group: group.name)
            return (error as? GroupRefusal)?.why ?? "\(error)"
        }
        let role = group.primary == runtime.name ? "primary" : "standby"
        runtime.logger.notice(
            "group \(group.name) added: this node is its \(role); its shares \(contexts.map(\.shareName).joined(separator: ", ")) are mirrored from now on"
        )
        runtime.event(.info, .groupAdded, "group \(group.name) added by a reload", share: nil)
        let archives = archives
        parts.roles.groupAdded(group.name) {
            for removal in removals { await removal.value }
            // History is kept from the first sync: the archive directories are open before the mirror starts.
            await archives?.sharesCame(contexts)
            await archives?.schedulesChanged(group: group.name)
        }
        return nil
    }

    /// Stops `name`: it leaves the node's tables and its failover at once (so a reload that adds it again starts it
    /// anew), then its capture and follower stop and the address this node held for it is removed. Its trees,
    /// archives and history stay on disk. Returns its stopping, or why it cannot stop now.
    private func removeGroup(_ name: String) -> Result<Task<Void, Never>, GroupRefusal> {
        guard let parts = running.parts else { return .failure(GroupRefusal(why: Self.starting)) }
        let release = failover.stopWatching(name)
        let left = runtime.removeGroup(name)
        archives?.sharesLeft(left)
        parts.requests.remove(group: name)
        runtime.logger.notice(
            "group \(name) removed: this node stops mirroring it; its trees \(left.map(\.localPath).joined(separator: ", ")) stay as they are"
        )
        runtime.event(.info, .groupRemoved, "group \(name) removed by a reload", share: nil)
        return .success(parts.roles.groupRemoved(name) { await release() })
    }
}

/// Why a group a reload added cannot start before the restart.
private struct GroupRefusal: Error {
    let why: String
}
