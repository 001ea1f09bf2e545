import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import UnderstudyCore
import UnderstudyReplication
import UnderstudySupport
import UnderstudyTransport
import UnderstudyWire

/// Keeps the console's users and tokens the same on every node: each change made here goes to every peer (the
/// nodes this one shares a group with, which pass it on to theirs), and at start, every ten minutes, and after a
/// failed try every ten seconds, the two compare again. A node that never had users offers nothing; it takes them
/// when a peer that has some offers (at the peer's next change, start or ten-minute round). One exchange is one short peer connection (TLS, both certificates
/// checked, the usual hello): this node offers its document, the peer takes it if it is newer and answers with its
/// own, which this node takes if that is newer. The newer revision wins whole (`UserDirectory.isOlder`).
package struct UsersSpreadService: Service {
    let node: any HandshakeParty
    let users: any UsersExchange
    let tls: NIOSSLContext
    let clock: any EngineClock
    let logger: Logger
    static let refreshEvery = 600.0
    static let retryAfter = 10.0
    static let exchangeLimit = 15.0

    package init(
        node: any HandshakeParty, users: any UsersExchange, tls: NIOSSLContext, clock: any EngineClock,
        logger: Logger
    ) {
        self.node = node
        self.users = users
        self.tls = tls
        self.clock = clock
        self.logger = logger
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown { await spread() }
    }

    /// Per peer: the revision it last confirmed, when to compare anyway, and when to try again after a failure.
    private struct PeerState {
        var confirmed: UInt64?
        var refreshAt = 0.0
        var retryAt = 0.0
        var failing = false
    }

    private func spread() async {
        let peers = node.configuration.peers(of: node.name)
        var states = Dictionary(uniqueKeysWithValues: peers.map { ($0, PeerState()) })
        while !Task.isCancelled {
            let now = clock.monotonicSeconds()
            for peer in peers {
                let revision = users.offer().revision
                // A node that never had users has nothing to offer: it takes them when a peer that has some offers.
                guard revision > 0, var state = states[peer], state.confirmed != revision || now >= state.refreshAt,
                    now >= state.retryAt
                else { continue }
                do {
                    try await exchange(with: peer)
                    state.confirmed = users.offer().revision
                    state.refreshAt = now + Self.refreshEvery
                    if state.failing { logger.info("users and tokens: \(peer) is reachable again") }
                    state.failing = false
                } catch is CancellationError {
                    return
                } catch {
                    state.retryAt = now + Self.retryAfter
                    if !state.failing {
                        logger.info(
                            "users and tokens: cannot compare them with \(peer) now (\(error)); trying again every \(Int(Self.retryAfter)) s"
                        )
                    }
                    state.failing = true
                }
                states[peer] = state
            }
            try? await clock.sleep(seconds: 1)
        }
    }

    /// One offer and its answer, within `exchangeLimit` seconds.
    private func exchange(with peer: String) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await offer(to: peer) }
            group.addTask {
                try await clock.sleep(seconds: Self.exchangeLimit)
                throw NetworkFailure(kind: .timedOut, text: "no answer within \(Int(Self.exchangeLimit)) s")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    private func offer(to peer: String) async throws {
        guard let address = node.configuration.nodes[peer]?.address else { return }
        let connection = try await PeerTransport.connect(
            host: address.host, port: address.port, tls: tls, allowedNodes: [peer],
            cluster: node.configuration.cluster, logger: logger, localNode: node.name)
        do {
            _ = try await connection.peerNode.get()
        } catch {
            try? await connection.channel.executeThenClose { _, _ in }
            throw error
        }
        let node = node
        let users = users
        try await withTaskCancellationHandler {
            try await connection.channel.executeThenClose { inbound, outbound in
                let writer = FrameWriter(outbound: outbound)
                var iterator = inbound.makeAsyncIterator()
                try await PeerHandshake.exchange(node: node, writer: writer, peer: peer) { try await iterator.next() }
                try await writer.send(.usersOffer(document: users.offer().document))
                try await writer.flush()
                while let message = try await iterator.next() {
                    switch message {
                    case .changesPending:
                        continue  // the serving node's notices go to every connection of this peer
                    case .usersOffer(let theirs):
                        _ = users.take(theirs, from: peer)
                        return
                    case .error(let code, let text):
                        throw PeerSessionError.remote(code, text)
                    default:
                        throw PeerSessionError.unexpected(message, "instead of the peer's users")
                    }
                }
                throw PeerSessionError.closed("before answering with its users")
            }
        } onCancel: {
            connection.channel.channel.close(promise: nil)
        }
    }
}
