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

/// Keeps this node's copy of the tracked configuration of each group it follows (as standby or off-site node) the
/// same as its primary's: every few seconds it asks the primary for the versions after the last it holds, over one
/// short peer connection (TLS, both certificates checked, the usual hello); after a failure it tries again every
/// ten seconds. Only paths the group lists are kept. Each time new versions arrive `arrived` is told (a proof runs
/// on them at once).
package struct ConfigFollowService: Service {
    let node: any HandshakeParty
    let copies: any ConfigExchange
    let tls: NIOSSLContext
    let clock: any EngineClock
    let logger: Logger
    let arrived: @Sendable (String) -> Void
    let every: Double
    /// Per group, the sequence this node asked through: past versions it took and versions it passed over.
    private let asked = NIOLockedValueBox<[String: Int]>([:])
    static let retryAfter = 10.0
    static let exchangeLimit = 15.0
    /// Answers in one exchange, at most (each carries about `ConfigDocument.contentLimit` bytes).
    static let roundsLimit = 64

    package init(
        node: any HandshakeParty, copies: any ConfigExchange, tls: NIOSSLContext, clock: any EngineClock,
        logger: Logger, every: Double = 5, arrived: @escaping @Sendable (String) -> Void
    ) {
        self.node = node
        self.copies = copies
        self.tls = tls
        self.clock = clock
        self.logger = logger
        self.every = every
        self.arrived = arrived
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown { await follow() }
    }

    /// The groups whose configuration this node follows: it is their standby or off-site node, they list files, and
    /// it does not serve them now (while it does, its files are the live ones: a primary under repair must not
    /// change the copy it would be given back).
    private var followed: [GroupConfiguration] {
        node.configuration.groups.values.filter { group in
            !group.proof.configFiles.isEmpty && group.primary != node.name
                && (group.standby == node.name || group.offsite == node.name)
                && node.ownership(group: group.name)?.owner != node.name
        }.sorted { $0.name < $1.name }
    }

    private func follow() async {
        var nextAt: [String: Double] = [:]
        var failing: Set<String> = []
        while !Task.isCancelled {
            for group in followed where clock.monotonicSeconds() >= nextAt[group.name, default: 0] {
                do {
                    let taken = try await withTimeLimit(Self.exchangeLimit, clock: clock) {
                        try await fetch(group)
                    }
                    if failing.remove(group.name) != nil {
                        logger.info("group \(group.name): the primary's configuration can be fetched again")
                    }
                    if taken > 0 {
                        logger.notice(
                            "group \(group.name): took \(taken) new version(s) of the primary's configuration from \(group.primary)"
                        )
                        arrived(group.name)
                    }
                    nextAt[group.name] = clock.monotonicSeconds() + every
                } catch is CancellationError {
                    return
                } catch {
                    if failing.insert(group.name).inserted {
                        // A refusal (the two nodes' configurations differ) stays until mended: said louder.
                        let refused = if case PeerSessionError.remote = error { true } else { false }
                        logger.log(
                            level: refused ? .warning : .info,
                            "group \(group.name): cannot fetch the primary's configuration from \(group.primary) now (\(error)); trying again every \(Int(Self.retryAfter)) s"
                        )
                    }
                    nextAt[group.name] = clock.monotonicSeconds() + Self.retryAfter
                }
            }
            try? await clock.sleep(seconds: 1)
        }
    }

    /// Asks `group`'s primary for what this node lacks; returns how many versions were new.
    private func fetch(_ group: GroupConfiguration) async throws -> Int {
        let (copies, peer, asked, logger) = (copies, group.primary, asked, logger)
        return try await PeerConversation.with(peer, node: node, tls: tls, logger: logger) { writer, iterator in
            var taken = 0
            for _ in 0..<Self.roundsLimit {
                let held = try await onThread { try copies.copy(group: group.name) }
                let after = asked.withLockedValue { max($0[group.name] ?? 0, held.last) }
                try await writer.send(.configAsk(group: group.name, after: UInt64(after)))
                try await writer.flush()
                var (highest, document) = try await Self.answer(&iterator, group: group.name)
                var (answered, versions) = try await Self.decode(document, group: group.name)
                guard var history = answered else { break }  // the primary has no version yet
                // Another history (the primary's state was made anew): its versions replace this copy.
                let replacing = held.history != nil && held.history != history
                if replacing && after > 0 {
                    try await writer.send(.configAsk(group: group.name, after: 0))
                    try await writer.flush()
                    (highest, document) = try await Self.answer(&iterator, group: group.name)
                    (answered, versions) = try await Self.decode(document, group: group.name)
                    guard let again = answered else { break }
                    history = again
                }
                let through = versions.last?.sequence ?? highest
                // Only what the group lists; the rest is passed over, not asked for again.
                let kept = versions.filter { group.proof.tracks($0.path) }
                if kept.count < versions.count {
                    logger.warning(
                        "group \(group.name): \(peer) sent \(versions.count - kept.count) version(s) of files the group does not list; they are ignored"
                    )
                }
                let historyID = history
                taken += try await onThread {
                    try copies.take(kept, group: group.name, history: historyID, replacing: replacing, from: peer)
                }
                asked.withLockedValue { $0[group.name] = replacing ? through : max($0[group.name] ?? 0, through) }
                if versions.isEmpty || through >= highest { break }
            }
            return taken
        }
    }

    /// Up to 8 MiB of JSON: decoded off the cooperative pool.
    private static func decode(_ document: [UInt8], group: String) async throws -> (String?, [ConfigVersion]) {
        let decoded = try await onThread { try ConfigDocument.decode(document, group: group) }
        return (decoded.history, decoded.versions)
    }

    private static func answer(
        _ iterator: inout NIOAsyncChannelInboundStream<PeerMessage>.AsyncIterator, group: String
    ) async throws -> (highest: Int, document: [UInt8]) {
        while let message = try await iterator.next() {
            switch message {
            case .changesPending:
                continue  // the serving node's notices go to every connection of this peer
            case .configVersions(let answered, let highest, let document) where answered == group:
                return (Int(clamping: highest), document)
            case .error(let code, let text):
                throw PeerSessionError.remote(code, text)
            default:
                throw PeerSessionError.unexpected(message, "instead of the tracked configuration of \(group)")
            }
        }
        throw PeerSessionError.closed("before answering with the tracked configuration of \(group)")
    }
}
