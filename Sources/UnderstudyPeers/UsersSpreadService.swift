import Logging
import NIOConcurrencyHelpers
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
        var states: [String: PeerState] = [:]
        while !Task.isCancelled {
            let now = clock.monotonicSeconds()
            // Read each round: a reload may add or remove a group, and with it a peer.
            for peer in node.configuration.peers(of: node.name) {
                let (revision, document) = users.offer()
                // A node that never had users has nothing to offer: it takes them when a peer that has some offers.
                guard revision > 0, case var state = states[peer, default: PeerState()],
                    state.confirmed != revision || now >= state.refreshAt,
                    now >= state.retryAt
                else { continue }
                do {
                    // What the peer now holds: what was sent, unless its answer was newer and taken here (then the
                    // next round sends that back, and confirms it). A change made here meanwhile is sent next round.
                    let took = try await exchange(with: peer, document: document)
                    state.confirmed = took ? nil : revision
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

    /// One offer and its answer, within `exchangeLimit` seconds. The offer runs as a task of its own that is
    /// cancelled, not awaited, when the limit passes: a connection stuck where cancellation does not reach (a TLS
    /// handshake that never ends) must not stop this loop for good.
    private func exchange(with peer: String, document: [UInt8]) async throws -> Bool {
        try await withTimeLimit(Self.exchangeLimit, clock: clock) { try await offer(document, to: peer) }
    }

    /// Sends `document`; returns whether the peer's answer was newer and taken.
    private func offer(_ document: [UInt8], to peer: String) async throws -> Bool {
        let users = users
        return try await PeerConversation.with(peer, node: node, tls: tls, logger: logger) { writer, iterator in
            try await writer.send(.usersOffer(document: document))
            try await writer.flush()
            while let message = try await iterator.next() {
                switch message {
                case .changesPending:
                    continue  // the serving node's notices go to every connection of this peer
                case .usersOffer(let theirs):
                    return users.take(theirs, from: peer)
                case .error(let code, let text):
                    throw PeerSessionError.remote(code, text)
                default:
                    throw PeerSessionError.unexpected(message, "instead of the peer's users")
                }
            }
            throw PeerSessionError.closed("before answering with its users")
        }
    }
}
