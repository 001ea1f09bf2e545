import NIOSSL
import ServiceLifecycle
import UnderstudyCore
import UnderstudyReplication
import UnderstudySupport

/// Serving and following follow the group's holder: the node that holds a group captures its changes and serves
/// them; the other node follows it (after reconciling, when its own tree was the live data).
package struct GroupRoles: Service, Sendable {
    let runtime: any FollowingNode
    let followers: StandbyFollowers
    let captures: CaptureService
    let tls: NIOSSLContext
    let requests: SyncRequestTable
    let links: any LinkViewSource
    /// The holder changes, subscribed before the daemon's parts start (none is lost before `run` reads them).
    let changes: AsyncStream<HolderChange>
    /// Each group's role changes, one after another.
    let serial = GroupSerial()

    package init(
        runtime: any FollowingNode, followers: StandbyFollowers, captures: CaptureService, tls: NIOSSLContext,
        requests: SyncRequestTable, links: any LinkViewSource, changes: AsyncStream<HolderChange>
    ) {
        self.runtime = runtime
        self.followers = followers
        self.captures = captures
        self.tls = tls
        self.requests = requests
        self.links = links
        self.changes = changes
    }

    package func follow(_ group: GroupConfiguration) {
        guard let requests = requests[group.name] else { return }
        let (runtime, tls, links) = (runtime, tls, links)
        if group.agentless {
            // Its primary runs no understudy: this node scans the mounts of its shares.
            followers.start(group: group.name) {
                await AgentlessGroupService(node: runtime, group: group, requests: requests).run()
            }
            return
        }
        runtime.logger.info(
            "group \(group.name): \(runtime.ownership(group: group.name)?.owner ?? group.peer(of: runtime.name)) holds it (\(runtime.ownership(group: group.name).map { "\($0)" } ?? "?")); this node follows it"
        )
        followers.start(group: group.name) {
            await StandbyGroupService(node: runtime, group: group, tls: tls, requests: requests, links: links).run()
        }
    }

    /// Keeps the group's off-site copy on this node: follows the node that feeds it (the cascade's last hop).
    package func followOffsite(_ group: GroupConfiguration) {
        guard let requests = requests[group.name] else { return }
        let (runtime, tls, links) = (runtime, tls, links)
        runtime.logger.info(
            "group \(group.name): this node keeps its off-site copy, fed by \(group.offsiteFeeder)")
        followers.start(group: group.name) {
            await StandbyGroupService(
                node: runtime, group: group, tls: tls, requests: requests, links: links, feeder: group.offsiteFeeder
            ).run()
        }
    }

    /// `group`'s shares changed (a reload): a node that follows it reconnects with them; one that holds it captures
    /// the shares that came (those that left stopped already). Its other groups go on untouched. After the group's
    /// role changes asked before, and with its configuration as it is when it runs.
    package func sharesChanged(_ name: String, came: [ShareContext]) async {
        await serial.run(name) {
            guard let group = runtime.currentGroup(name) else { return }
            if runtime.owns(group: name) {
                await captures.restart(came)
                return
            }
            guard group.members.contains(runtime.name), requests[name] != nil else { return }
            await followers.stop(group: name, waitingAtMost: 5)
            // A takeover may have made this node the holder meanwhile: it then serves, and follows nothing.
            if !runtime.owns(group: name) { follow(group) }
        }
    }

    /// `name` was added by a reload (the node's tables have it): once `prepare` ran (its archive directories opened),
    /// this node serves it if it holds it, else follows its holder. Queued after the group's changes asked before.
    package func groupAdded(_ name: String, prepare: @escaping @Sendable () async -> Void) {
        serial.enqueue(name) {
            await prepare()
            await changeRole(name)
        }
    }

    /// `name` was removed by a reload: its capture and its follower stop, then `finish` runs (the address given up).
    /// Queued after the group's changes asked before; returns its task (a group the same reload adds waits for it:
    /// a renamed group keeps its trees and address).
    @discardableResult
    package func groupRemoved(_ name: String, finish: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        serial.enqueue(name) {
            await captures.release(group: name)
            await followers.stop(group: name, waitingAtMost: 5)
            runtime.logger.notice("group \(name): this node neither serves nor follows it any more")
            await finish()
        }
    }

    /// Serves or follows each group as its holder changes, until cancelled. Each change is handled in a child task,
    /// off the publisher's path: watching a tree takes seconds, and a takeover must not wait for it.
    package func run() async {
        await cancelWhenGracefulShutdown { await followHolders() }
    }

    private func followHolders() async {
        await withDiscardingTaskGroup { handlers in
            for await change in changes {
                handlers.addTask { await holderChanged(change.group) }
            }
            handlers.cancelAll()
        }
    }

    /// The holder of `group` changed: start serving it (capture, then stop following), or stop and follow. After the
    /// group's role changes asked before.
    func holderChanged(_ name: String) async {
        await serial.run(name) { await changeRole(name) }
    }

    private func changeRole(_ name: String) async {
        guard let group = runtime.currentGroup(name) else { return }
        if runtime.owns(group: name) {
            await captures.serve(group: name)
            await followers.stop(group: name, waitingAtMost: 5)
            if group.agentless {
                runtime.status.update(group: name) { $0.peerConnected = false }
                runtime.logger.notice(
                    "group \(name): this node holds it now; its replica is the live data, and the scans of \(group.primary)'s mounts stopped (it runs no understudy: what changes here goes back with understudy failback \(name))"
                )
                return
            }
            runtime.logger.notice(
                "group \(name): this node holds it now; its tree is the live data, served to \(group.members.filter { $0 != runtime.name }.joined(separator: " and "))"
            )
        } else {
            await captures.release(group: name)
            // A follower of the old holder stops first (a third node took the group over meanwhile).
            await followers.stop(group: name, waitingAtMost: 5)
            // The off-site node went back to keeping its copy (after a recovery-site takeover it held the group).
            if group.offsite == runtime.name { followOffsite(group) } else { follow(group) }
        }
    }
}
