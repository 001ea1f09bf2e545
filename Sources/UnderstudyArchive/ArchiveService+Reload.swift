/// What a reload changes in place of the archives (see `ConfigurationReloader`).
extension ArchiveService {
    /// `group`'s archive schedules or shares changed (its shares' contexts hold the new ones): the schedules are
    /// looked at again at once, so a new schedule that is due takes its first archive now. A share whose archive directory was never opened (no history, no archives until
    /// now) has it opened here, so its first scheduled archive is not missed. A removed schedule takes no more
    /// archives; those it took stay until removed (`understudy archive remove`).
    package func groupChanged(group: String, schedules: Bool) {
        for context in contexts where context.groupName == group && store(of: context) == nil && needsStore(context) {
            Task {
                do {
                    try await prepare(context)
                } catch {
                    report(context, failure: "\(error)")
                }
                lookAgain.withLockedValue { $0 = true }
            }
        }
        lookAgain.withLockedValue { $0 = true }
        guard schedules else { return }
        for context in contexts where context.groupName == group {
            let schedules = context.group.archives.filter { $0.share == context.shareName }.map(\.name)
            node.logger.notice(
                "archives of \(context.key): schedules now \(schedules.isEmpty ? "none" : schedules.joined(separator: ", "))"
            )
        }
    }
}
