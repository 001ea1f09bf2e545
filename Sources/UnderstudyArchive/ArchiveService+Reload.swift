import UnderstudyReplication

/// What a reload changes in place of the archives (see `ConfigurationReloader`).
extension ArchiveService {
    /// `group`'s archive schedules changed (its shares' contexts hold the new ones): they are looked at again at once,
    /// so a new schedule that is due takes its first archive now. A share whose archive directory was never opened
    /// (no history, no archives until now) has it opened first. A removed schedule takes no more archives; those it
    /// took stay until removed (`understudy archive remove`).
    package func schedulesChanged(group: String) async {
        let changed = contexts.filter { $0.groupName == group }
        await open(changed)
        lookAgain.withLockedValue { $0 = true }
        for context in changed {
            let schedules = context.group.archives.filter { $0.share == context.shareName }.map(\.name)
            node.logger.notice(
                "archives of \(context.key): schedules now \(schedules.isEmpty ? "none" : schedules.joined(separator: ", "))"
            )
        }
    }

    /// Shares a reload gave this node's replicas: their archive directories are opened (history is then kept from
    /// their first sync on; the caller starts the sync after this).
    package func sharesCame(_ came: [ShareContext]) async {
        await open(came.filter { $0.group.standby == node.name })
        lookAgain.withLockedValue { $0 = true }
    }

    /// Shares a reload took away: their archive directories are let go. Their archives and history stay on disk, as
    /// the replica does.
    package func sharesLeft(_ left: [ShareContext]) {
        for context in left {
            stores.withLockedValue { $0[context.key] = nil }
            recovered.remove(context.key)
        }
    }

    private func open(_ contexts: [ShareContext]) async {
        for context in contexts where store(of: context) == nil && needsStore(context) {
            do {
                try await prepare(context)
            } catch {
                report(context, failure: "\(error)")
            }
        }
    }
}
