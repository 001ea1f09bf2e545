#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import UnderstudyCore
import UnderstudySupport
import UnderstudyWire

/// Sends heartbeats to every peer on every link and receives theirs, on a thread of its own: a busy machine
/// (a full cooperative pool, a long sync, a slow check) never delays a heartbeat, which is what would make a
/// healthy primary look dead. Authentic, fresh heartbeats are handed to `deliver`; everything else is refused
/// and logged (at most once per source and reason every 10 s).
package final class HeartbeatService: Service, Sendable {
    package struct Route: Sendable, Equatable {
        var peer: String
        var link: String
        var localAddress: String
        var remoteAddress: String

        package init(peer: String, link: String, localAddress: String, remoteAddress: String) {
            self.peer = peer
            self.link = link
            self.localAddress = localAddress
            self.remoteAddress = remoteAddress
        }
    }

    /// For status: `sent`, `received` and `lastSendError` per peer and link (key "peer/link"); `refused`,
    /// `lastRefusal` and `listenError` per link (key "link": a refused datagram's sender is not to be believed).
    package struct LinkCounters: Sendable, Equatable {
        package var sent = 0
        package var received = 0
        package var refused = 0
        package var lastSendError: String?
        package var lastRefusal: String?
        package var listenError: String?

        package init(
            sent: Int = 0, received: Int = 0, refused: Int = 0, lastSendError: String? = nil,
            lastRefusal: String? = nil, listenError: String? = nil
        ) {
            self.sent = sent
            self.received = received
            self.refused = refused
            self.lastSendError = lastSendError
            self.lastRefusal = lastRefusal
            self.listenError = listenError
        }
    }

    let node: String
    /// Where heartbeats go, each peer on each link; a reload that adds or removes a group changes them (`setRoutes`).
    package var routes: [Route] { routeTable.withLockedValue { $0 } }
    private let routeTable: NIOLockedValueBox<[Route]>
    let port: Int
    let interval: Double
    let authenticator: HeartbeatAuthenticator
    let logger: Logger
    let now: @Sendable () -> Double
    let payload: @Sendable (_ peer: String) -> [HeartbeatMessage.GroupState]
    /// What a witness tells `peer` of the nodes it hears ([] for every other node).
    let hearings: @Sendable (_ peer: String) -> [HeartbeatMessage.Hearing]
    let deliver: @Sendable (_ message: HeartbeatMessage, _ link: String, _ at: Double) -> Void
    /// Refused datagrams, logged once per source and reason per window with the count held back.
    let refusals: RefusalLog
    /// Where sequences are kept across restarts (nil: not kept, as in tests of the wire alone).
    let sequences: HeartbeatSequenceStore?
    private let state = NIOLockedValueBox(State())

    private struct State {
        var running = false
        var counters: [String: LinkCounters] = [:]
        var lastLogged: [String: Double] = [:]
        var replay = ReplayGuard()
    }

    package init(
        node: String, routes: [Route], port: Int, interval: Double, key: [UInt8], logger: Logger,
        now: @escaping @Sendable () -> Double,
        payload: @escaping @Sendable (_ peer: String) -> [HeartbeatMessage.GroupState],
        hearings: @escaping @Sendable (_ peer: String) -> [HeartbeatMessage.Hearing] = { _ in [] },
        sequences: HeartbeatSequenceStore? = nil,
        deliver: @escaping @Sendable (_ message: HeartbeatMessage, _ link: String, _ at: Double) -> Void
    ) {
        self.node = node
        routeTable = NIOLockedValueBox(routes)
        self.port = port
        self.interval = interval
        authenticator = HeartbeatAuthenticator(key: key)
        self.logger = logger
        self.now = now
        self.payload = payload
        self.hearings = hearings
        self.deliver = deliver
        refusals = RefusalLog(logger: logger, now: now)
        self.sequences = sequences
        if let saved = sequences?.load() {
            state.withLockedValue { $0.replay = ReplayGuard(accepted: saved.accepted) }
        }
    }

    package var counters: [String: LinkCounters] { state.withLockedValue { $0.counters } }

    /// Sends and receives on the heartbeat thread until cancelled or shut down gracefully, then joins it.
    package func run() async {
        let thread = start()
        await cancelWhenGracefulShutdown { await waitUntilCancelled() }
        stop()
        // Its loop checks the flag at least every interval.
        if await !thread.join(waitingAtMost: 5) {
            logger.warning("the heartbeat thread did not end within 5 s of the stop")
        }
    }

    /// Sends to `routes` from the next heartbeat on, and takes only their peers' heartbeats; a link new to this node is
    /// listened on within 2 s.
    package func setRoutes(_ routes: [Route]) {
        routeTable.withLockedValue { $0 = routes }
    }

    /// Starts the heartbeat thread (`run` starts and joins it; tests start and stop it by hand).
    @discardableResult
    package func start() -> OwnedThread {
        state.withLockedValue { $0.running = true }
        return OwnedThread(name: "heartbeat") { [self] in loop() }
    }

    /// Asks the heartbeat thread to end (without waiting; `run` joins it).
    package func stop() {
        state.withLockedValue { $0.running = false }
    }

    private var isRunning: Bool { state.withLockedValue { $0.running } }

    private func loop() {
        var sockets: [String: HeartbeatSocket] = [:]
        var nextBind = 0.0
        // Grows across restarts: nanoseconds of the wall clock at start, or past the last one sent if the clock was set
        // back since, then +1 per datagram.
        let saved = sequences?.load()
        var sequence = max(
            UInt64(max(0, Date().timeIntervalSince1970) * 1e9),
            (saved?.lastSent ?? 0) + HeartbeatSequenceStore.unsavedMargin)
        var nextSend = now()
        var nextSummary = now() + 10
        var nextSave = now()
        var lastSaved = saved
        defer { saveSequences(sent: sequence, last: &lastSaved) }
        while isRunning {
            let current = now()
            if current >= nextSummary {
                refusals.summarize()
                nextSummary = current + 10
            }
            if current >= nextSave {
                saveSequences(sent: sequence, last: &lastSaved)
                nextSave = current + 1
            }
            let routes = self.routes
            let links = Dictionary(routes.map { ($0.link, $0.localAddress) }, uniquingKeysWith: { first, _ in first })
            if links.keys.contains(where: { sockets[$0] == nil }) && current >= nextBind {
                bindMissing(links, into: &sockets)
                nextBind = current + 2
            }
            if current >= nextSend {
                for route in routes {
                    guard let socket = sockets[route.link] else { continue }
                    sequence += 1
                    let message = HeartbeatMessage(
                        sequence: sequence, sender: node, receiver: route.peer, link: route.link,
                        groups: payload(route.peer), hearings: hearings(route.peer))
                    let error = socket.send(authenticator.seal(message), to: route.remoteAddress, port: port)
                    state.withLockedValue {
                        $0.counters[route.peer + "/" + route.link, default: LinkCounters()].sent += 1
                        $0.counters[route.peer + "/" + route.link, default: LinkCounters()].lastSendError = error.map {
                            errnoText($0)
                        }
                    }
                }
                nextSend = max(nextSend + interval, current)
            }
            var descriptors = sockets.values.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let waitMilliseconds = Int32(max(1, min(100, (nextSend - now()) * 1000)))
            if descriptors.isEmpty {
                usleep(UInt32(waitMilliseconds) * 1000)
                continue
            }
            guard poll(&descriptors, nfds_t(descriptors.count), waitMilliseconds) > 0 else { continue }
            for descriptor in descriptors where descriptor.revents & Int16(POLLIN) != 0 {
                guard let socket = sockets.values.first(where: { $0.fd == descriptor.fd }) else { continue }
                var budget = 64
                while budget > 0, let (bytes, source) = socket.receive() {
                    budget -= 1
                    handle(bytes, from: source, on: socket.link)
                }
            }
        }
    }

    private func saveSequences(sent: UInt64, last: inout HeartbeatSequenceStore.Snapshot?) {
        guard let sequences else { return }
        let snapshot = HeartbeatSequenceStore.Snapshot(
            lastSent: sent, accepted: state.withLockedValue { $0.replay.accepted })
        guard snapshot != last else { return }
        sequences.save(snapshot)
        last = snapshot
    }

    private func bindMissing(_ links: [String: String], into sockets: inout [String: HeartbeatSocket]) {
        for (link, address) in links.sorted(by: { $0.key < $1.key }) where sockets[link] == nil {
            do throws(HeartbeatSocketError) {
                sockets[link] = try HeartbeatSocket(link: link, address: address, port: port)
                state.withLockedValue { $0.counters[link, default: LinkCounters()].listenError = nil }
                logger.info("heartbeats on link \(link): \(address) port \(port), every \(interval) s")
            } catch {
                state.withLockedValue { $0.counters[link, default: LinkCounters()].listenError = error.description }
                logOnce("bind \(link)", error.description + "; retrying every 2 s")
            }
        }
    }

    private func handle(_ bytes: [UInt8], from source: String, on link: String) {
        let message: HeartbeatMessage
        do throws(HeartbeatAuthenticator.Refusal) {
            message = try authenticator.open(bytes)
        } catch {
            refuse("from \(source) on link \(link): \(error)", source: source, kind: error.kind, link: link)
            return
        }
        guard message.receiver == node, message.link == link,
            let route = routes.first(where: { $0.peer == message.sender && $0.link == link })
        else {
            refuse(
                "from \(source) on link \(link): it is for node '\(message.receiver)' on link '\(message.link)' from '\(message.sender)', which is not a peer of this node on this link",
                source: source, kind: "misdirected", link: link)
            return
        }
        guard route.remoteAddress == source || source.hasSuffix(":" + route.remoteAddress) else {
            refuse(
                "from \(source) on link \(link): node '\(message.sender)' is at \(route.remoteAddress) on this link",
                source: source,
                kind: "wrong-address", link: link)
            return
        }
        let fresh = state.withLockedValue {
            $0.replay.accept(sender: message.sender, link: link, sequence: message.sequence)
        }
        guard fresh else {
            refuse(
                "from \(source) on link \(link): sequence \(message.sequence) was seen already (a replay, or \(message.sender)'s clock was set back across a restart)",
                source: source, kind: "replay", link: link)
            return
        }
        state.withLockedValue { $0.counters[message.sender + "/" + link, default: LinkCounters()].received += 1 }
        deliver(message, link, now())
    }

    private func refuse(_ what: String, source: String, kind: String, link: String) {
        state.withLockedValue {
            $0.counters[link, default: LinkCounters()].refused += 1
            $0.counters[link, default: LinkCounters()].lastRefusal = what
        }
        refusals.refused(source: source, reason: "heartbeat " + kind + " on " + link, "refused a heartbeat " + what)
    }

    private func logOnce(_ key: String, _ message: String) {
        let current = now()
        let due = state.withLockedValue { state -> Bool in
            if let last = state.lastLogged[key], current - last < 10 { return false }
            state.lastLogged[key] = current
            return true
        }
        if due { logger.warning("\(message)") }
    }
}
