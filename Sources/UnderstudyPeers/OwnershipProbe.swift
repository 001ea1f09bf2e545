import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import ServiceLifecycle
import UnderstudyCore
import UnderstudyReplication
import UnderstudySupport
import UnderstudyTransport

/// A node that holds a group with an off-site node compares views with the group's other members at start, and the
/// off-site node tells them every 10 s while it holds a group (after a recovery-site takeover): one short peer
/// connection each, the handshake alone, which tells both sides who holds every group they share. So a primary that
/// comes back after a recovery-site takeover learns the higher epoch before its dead time runs out and steps down
/// instead of taking its address, a standby that comes back hears it within 10 s (it takes nothing over by itself
/// before it heard its primary or the off-site node), and a recovery site that serves hears within seconds when the
/// group was taken back. (Otherwise the mirror's own connections carry the news.)
package struct OwnershipProbe: Service {
    let node: any HandshakeParty
    let tls: NIOSSLContext
    let clock: any EngineClock
    let logger: Logger
    static let every = 10.0
    static let limit = 5.0

    package init(node: any HandshakeParty, tls: NIOSSLContext, clock: any EngineClock, logger: Logger) {
        self.node = node
        self.tls = tls
        self.clock = clock
        self.logger = logger
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown { await probe() }
    }

    /// The members this node tells now: of every group with an off-site node that it holds (at start), or that it
    /// holds as their off-site node (afterwards).
    func members(atStart: Bool) -> [String] {
        let held = node.configuration.groups(withMember: node.name).filter {
            $0.offsite != nil && node.ownership(group: $0.name)?.owner == node.name
                && (atStart || $0.offsite == node.name)
        }
        return Set(held.flatMap(\.members)).subtracting([node.name]).sorted()
    }

    private func probe() async {
        guard node.configuration.groups(withMember: node.name).contains(where: { $0.offsite != nil }) else { return }
        var atStart = true
        while !Task.isCancelled {
            for member in members(atStart: atStart) {
                do {
                    try await hello(member)
                } catch is CancellationError {
                    return
                } catch {
                    logger.debug("telling \(member) who holds the groups it shares: \(error)")
                }
            }
            atStart = false
            try? await clock.sleep(seconds: Self.every)
        }
    }

    /// One handshake with `peer`, within `limit` seconds (see `withTimeLimit`).
    private func hello(_ peer: String) async throws {
        guard node.configuration.nodes[peer] != nil else { return }
        let (node, tls, logger) = (node, tls, logger)
        try await withTimeLimit(Self.limit, clock: clock) {
            try await PeerConversation.with(peer, node: node, tls: tls, logger: logger) { _, _ in }
        }
    }
}
