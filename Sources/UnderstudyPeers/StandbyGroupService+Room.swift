import UnderstudyCore
import UnderstudyFileSystem
import UnderstudyReplication
import UnderstudyWire
import UnderstudySupport

extension StandbyGroupService {
    /// The shares of this group whose replica ran out of space.
    func sharesOutOfRoom() -> [ShareContext] {
        group.shares.compactMap { node.shares[group: group.name, share: $0.name] }
            .filter { $0.room.withLockedValue { $0.isFull } }
    }

    /// A replica of this group is out of space: tell it once, then wait, measuring the free space every few
    /// seconds, until there is room for what the sync still needed, a sync is asked for, or the retry interval has
    /// passed. Only this group's mirror waits; the others' go on (their own loops), with the room this one left.
    func waitForRoom(_ contexts: [ShareContext]) async throws {
        for context in contexts {
            reportOutOfRoom(context, alert: context.room.withLockedValue { $0.takeAlert() })
        }
        while !Task.isCancelled {
            let asked = await requests.fullRequested
            let now = node.now()
            let ready = contexts.allSatisfy { context in
                let space = try? FileSystemSpace.of(context.localPath)
                return context.room.withLockedValue {
                    $0.shouldRetry(
                        availableBytes: space?.availableBytes ?? 0, totalBytes: space?.totalBytes ?? 0,
                        asked: asked, at: now)
                }
            }
            if ready { break }
            await requests.wait(seconds: ReplicaRoom.checkInterval, beforeReconnect: true)
            if await requests.takeConnectionEnded() { throw PeerSessionError.closed("while waiting for room") }
        }
        for context in contexts { context.room.withLockedValue { $0.retry() } }
        node.logger.info("the mirror of group \(group.name) tries again: there may be room on its replicas")
    }

    /// After a sync of `context`'s share that did not run out of space: tells the end of a shortage, if there was one.
    func noteRoom(_ context: ShareContext) {
        guard let since = context.room.withLockedValue({ $0.succeeded() }) else { return }
        let summary =
            "the replica of \(context.key) on \(node.name) has room again: the mirror of group \(group.name) runs after \(Int(node.now() - since)) s"
        node.logger.notice("\(summary)")
        node.event(.info, .replicaSpaceRecovered, summary, share: context.key)
        node.notify(
            NotificationEvent(
                kind: .replicaSpaceRecovered, severity: .info, node: node.name, group: group.name, topic: context.key,
                summary: summary, time: node.clock.wallSeconds()))
    }

    /// The status of a replica out of space, and once per shortage (`alert`) its log line, event and notification.
    private func reportOutOfRoom(_ context: ShareContext, alert: Bool) {
        guard case .full(_, let path, let needed, _) = context.room.withLockedValue({ $0.state }) else { return }
        let space = try? FileSystemSpace.of(context.localPath)
        let free = space.map { "\(ByteCount.format($0.availableBytes)) free of \(ByteCount.format($0.totalBytes))" }
        let wanted = ReplicaRoom.wanted(neededBytes: needed, totalBytes: space?.totalBytes ?? 0)
        let summary =
            "the replica of \(context.key) on \(node.name) is out of space: the mirror of group \(group.name) stops until there is room"
        let detail =
            "Writing \(RelativePath.shown(path)) into \(context.localPath) failed: no space left on its file system (\(free ?? "its size unknown")). The sync still had \(ByteCount.format(needed)) to receive. The mirror of this group tries again once \(ByteCount.format(wanted)) are free, when asked (understudy sync), or after \(Int(ReplicaRoom.retryAfter / 60)) minutes; other groups go on mirroring. Make room on that file system, or move the replica."
        node.status.update(group: group.name, share: context.shareName) { status in
            status.state = .error
            status.lastError =
                "out of space (\(free ?? "size unknown")); the mirror stops until \(ByteCount.format(wanted)) are free"
        }
        node.saveStatus(group: group.name, share: context.shareName)
        guard alert else { return }
        node.logger.error("\(summary). \(detail)")
        node.event(.error, .replicaFull, "\(summary). \(detail)", share: context.key)
        node.notify(
            NotificationEvent(
                kind: .replicaFull, severity: .critical, node: node.name, group: group.name, topic: context.key,
                summary: summary, detail: detail, time: node.clock.wallSeconds()))
    }
}
