#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudyHealth
@testable import UnderstudySupport
import UnderstudyWire

/// Heartbeats between two real services on loopback UDP (127.0.0.1 is "alpha", 127.0.0.2 is "beta"): only
/// authentic, fresh, well-addressed datagrams count.
@Suite(.serialized)
struct HeartbeatServiceTests {
    static let key = [UInt8](repeating: 7, count: 32)

    final class Inbox: Sendable {
        let received = NIOLockedValueBox<[HeartbeatMessage]>([])
        var count: Int { received.withLockedValue { $0.count } }
    }

    static func service(
        _ node: String, _ address: String, peer: String, peerAddress: String, port: Int, key: [UInt8] = key,
        inbox: Inbox, logger: Logger = Logger(label: "test"), sequences: HeartbeatSequenceStore? = nil
    ) -> HeartbeatService {
        HeartbeatService(
            node: node, routes: [.init(peer: peer, link: "lan", localAddress: address, remoteAddress: peerAddress)],
            port: port, interval: 0.02, key: key, logger: logger, now: MonotonicClock.seconds,
            payload: { _ in
                [
                    HeartbeatMessage.GroupState(
                        group: "web", ownership: GroupOwnership(epoch: 3, owner: node), phase: "active")
                ]
            },
            sequences: sequences,
            deliver: { message, _, _ in inbox.received.withLockedValue { $0.append(message) } })
    }

    static func port() throws -> Int { try TestPorts.take() }

    /// alpha (127.0.0.1) and beta (127.0.0.2) on a fresh port, each with its inbox.
    static func pair() throws -> (alpha: HeartbeatService, beta: HeartbeatService, alphaInbox: Inbox, betaInbox: Inbox)
    {
        let port = try port()
        let alphaInbox = Inbox(), betaInbox = Inbox()
        let alpha = service("alpha", "127.0.0.1", peer: "beta", peerAddress: "127.0.0.2", port: port, inbox: alphaInbox)
        let beta = service("beta", "127.0.0.2", peer: "alpha", peerAddress: "127.0.0.1", port: port, inbox: betaInbox)
        return (alpha, beta, alphaInbox, betaInbox)
    }

    /// As a Service, the heartbeat thread belongs to `run`: once `run` has returned, nothing more is sent.
    @Test func asAService_sendsNothingMore_onceRunHasReturned() async throws {
        let (alpha, beta, alphaInbox, betaInbox) = try Self.pair()
        beta.start()
        defer { beta.stop() }
        let running = Task { await alpha.run() }
        // Waits without blocking a thread of the pool (`run` needs one to start).
        func eventually(_ condition: () -> Bool) async -> Bool {
            for _ in 0..<500 where !condition() { try? await Task.sleep(for: .milliseconds(10)) }
            return condition()
        }
        #expect(await eventually { betaInbox.count >= 3 })
        running.cancel()
        await running.value
        // One datagram may still be on its way from the last round; then silence (25 intervals).
        try await Task.sleep(for: .milliseconds(100))
        let after = betaInbox.count
        try await Task.sleep(for: .milliseconds(500))
        #expect(betaInbox.count == after)
        #expect(alphaInbox.count > 0)
    }

    @Test func deliversHeartbeats_carryingOwnership_betweenNodesWithTheClusterKey() async throws {
        let (alpha, beta, alphaInbox, betaInbox) = try Self.pair()
        alpha.start()
        beta.start()
        defer {
            alpha.stop()
            beta.stop()
        }
        #expect(await eventually(seconds: 5) { alphaInbox.count >= 3 && betaInbox.count >= 3 })
        let first = betaInbox.received.withLockedValue { $0.first }
        #expect(first?.sender == "alpha")
        #expect(first?.groups.first?.ownership == GroupOwnership(epoch: 3, owner: "alpha"))
    }

    @Test func ignoresHeartbeats_sealedWithAnotherKey_andSaysWhy() async throws {
        let port = try Self.port()
        let alphaInbox = Inbox(), betaInbox = Inbox()
        let alpha = Self.service(
            "alpha", "127.0.0.1", peer: "beta", peerAddress: "127.0.0.2", port: port,
            key: [UInt8](repeating: 9, count: 32), inbox: alphaInbox)
        let beta = Self.service(
            "beta", "127.0.0.2", peer: "alpha", peerAddress: "127.0.0.1", port: port, inbox: betaInbox)
        alpha.start()
        beta.start()
        defer {
            alpha.stop()
            beta.stop()
        }
        #expect(await eventually(seconds: 5) { (beta.counters["lan"]?.refused ?? 0) >= 5 })
        #expect(betaInbox.count == 0)
        #expect(beta.counters["lan"]?.lastRefusal?.contains("does not match the cluster key") == true)
    }

    @Test func ignoresReplayedAndMisaddressedHeartbeats() async throws {
        let port = try Self.port()
        let inbox = Inbox()
        let beta = Self.service("beta", "127.0.0.2", peer: "alpha", peerAddress: "127.0.0.1", port: port, inbox: inbox)
        beta.start()
        defer { beta.stop() }
        // An attacker on the path with recorded datagrams, sending from alpha's address (any port).
        let sender = try HeartbeatSocket(link: "lan", address: "127.0.0.1", port: try Self.port())
        let seal = HeartbeatAuthenticator(key: Self.key)
        func datagram(_ sequence: UInt64, receiver: String = "beta", link: String = "lan") -> [UInt8] {
            seal.seal(HeartbeatMessage(sequence: sequence, sender: "alpha", receiver: receiver, link: link, groups: []))
        }
        #expect(
            await eventually(seconds: 2) { (beta.counters["alpha/lan"]?.sent ?? 0) > 0 },
            "beta listens once it sends")
        _ = sender.send(datagram(1000), to: "127.0.0.2", port: port)
        #expect(await eventually(seconds: 2) { inbox.count == 1 })
        for replay in [datagram(1000), datagram(999), datagram(5)] {
            _ = sender.send(replay, to: "127.0.0.2", port: port)
        }
        // Sealed with the key but meant for another node, or another link: a recording replayed elsewhere.
        _ = sender.send(datagram(2000, receiver: "gamma"), to: "127.0.0.2", port: port)
        _ = sender.send(datagram(2001, link: "dedicated"), to: "127.0.0.2", port: port)
        #expect(
            await eventually(seconds: 3) { (beta.counters["lan"]?.refused ?? 0) == 5 },
            "\(String(describing: beta.counters["lan"]))")
        #expect(inbox.count == 1)
        // A fresh one still counts.
        _ = sender.send(datagram(1001), to: "127.0.0.2", port: port)
        #expect(await eventually(seconds: 3) { inbox.count == 2 })
    }

    @Test func refusesGarbage_withoutCrashing() async throws {
        let port = try Self.port()
        let inbox = Inbox()
        let beta = Self.service("beta", "127.0.0.2", peer: "alpha", peerAddress: "127.0.0.1", port: port, inbox: inbox)
        beta.start()
        defer { beta.stop() }
        let sender = try HeartbeatSocket(link: "lan", address: "127.0.0.1", port: try Self.port())
        #expect(
            await eventually(seconds: 2) { (beta.counters["alpha/lan"]?.sent ?? 0) > 0 },
            "beta listens once it sends")
        var generator = SystemRandomNumberGenerator()
        for size in [0, 1, 31, 40, 100, 1300, 4000] {
            _ = sender.send(
                (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }, to: "127.0.0.2", port: port)
        }
        #expect(
            await eventually(seconds: 3) { (beta.counters["lan"]?.refused ?? 0) >= 6 },
            "\(String(describing: beta.counters["lan"]))")
        #expect(inbox.count == 0)
    }

    @Test func aFloodOfJunk_logsOneLinePerSourceAndReason_notOnePerDatagram() async throws {
        let port = try Self.port()
        let inbox = Inbox()
        let logs = LogCapture()
        let beta = Self.service(
            "beta", "127.0.0.2", peer: "alpha", peerAddress: "127.0.0.1", port: port, inbox: inbox,
            logger: logs.logger("beta"))
        beta.start()
        defer { beta.stop() }
        let sender = try HeartbeatSocket(link: "lan", address: "127.0.0.1", port: try Self.port())
        #expect(
            await eventually(seconds: 2) { (beta.counters["alpha/lan"]?.sent ?? 0) > 0 },
            "beta listens once it sends")
        // 300 datagrams too long to be heartbeats, of 300 different lengths: each length used to make a kind of its own.
        // Paced (a busy machine drops UDP past its receive buffer); at least a third must arrive, each refused.
        for size in 1300..<1600 {
            _ = sender.send([UInt8](repeating: UInt8(size % 251), count: size), to: "127.0.0.2", port: port)
            if size % 20 == 0 { try await Task.sleep(for: .milliseconds(5)) }
        }
        #expect(
            await eventually(seconds: 5) { (beta.counters["lan"]?.refused ?? 0) >= 100 },
            "\(String(describing: beta.counters["lan"]))")
        let lines = logs.containing("refused a heartbeat")
        #expect(lines.count == 1, "\(lines.count) lines: \(lines.prefix(3))")
        #expect(inbox.count == 0)
    }

    @Test func aRecordedHeartbeat_isRefusedAfterTheReceiverRestarts_too() async throws {
        let directory = TestTree.makeTemporaryDirectory("hb-replay")
        defer { TestTree.remove(directory) }
        let port = try Self.port()
        let sender = try HeartbeatSocket(link: "lan", address: "127.0.0.1", port: try Self.port())
        let seal = HeartbeatAuthenticator(key: Self.key)
        let recorded = seal.seal(
            HeartbeatMessage(sequence: 5000, sender: "alpha", receiver: "beta", link: "lan", groups: []))
        do {
            let inbox = Inbox()
            let beta = Self.service(
                "beta", "127.0.0.2", peer: "alpha", peerAddress: "127.0.0.1", port: port, inbox: inbox,
                sequences: HeartbeatSequenceStore(stateDirectory: directory))
            beta.start()
            defer { beta.stop() }
            #expect(await eventually(seconds: 2) { (beta.counters["alpha/lan"]?.sent ?? 0) > 0 })
            _ = sender.send(recorded, to: "127.0.0.2", port: port)
            #expect(await eventually(seconds: 2) { inbox.count == 1 })
            // Kept within a second of being accepted.
            #expect(
                await eventually(seconds: 3) {
                    HeartbeatSequenceStore(stateDirectory: directory).load().accepted["alpha\u{0}lan"] == 5000
                })
        }
        // The receiver restarts: the recording is still a replay.
        let inbox = Inbox()
        let beta = Self.service(
            "beta", "127.0.0.2", peer: "alpha", peerAddress: "127.0.0.1", port: port, inbox: inbox,
            sequences: HeartbeatSequenceStore(stateDirectory: directory))
        beta.start()
        defer { beta.stop() }
        #expect(await eventually(seconds: 2) { (beta.counters["alpha/lan"]?.sent ?? 0) > 0 })
        _ = sender.send(recorded, to: "127.0.0.2", port: port)
        #expect(
            await eventually(seconds: 3) { (beta.counters["lan"]?.refused ?? 0) == 1 },
            "\(String(describing: beta.counters["lan"]))")
        #expect(inbox.count == 0)
        #expect(beta.counters["lan"]?.lastRefusal?.contains("was seen already") == true)
    }

    @Test func aSendersSequence_staysAboveItsLastOne_acrossARestart_evenWithItsClockSetBack() async throws {
        let directory = TestTree.makeTemporaryDirectory("hb-sent")
        defer { TestTree.remove(directory) }
        let store = HeartbeatSequenceStore(stateDirectory: directory)
        // Sent before the restart: far above what the clock says now (a clock that was set back by years).
        let before = UInt64(Date().timeIntervalSince1970 * 1e9) + 100 * 365 * 86400 * 1_000_000_000
        store.save(.init(lastSent: before, accepted: [:]))
        let port = try Self.port()
        let inbox = Inbox()
        let alpha = Self.service(
            "alpha", "127.0.0.1", peer: "beta", peerAddress: "127.0.0.2", port: port, inbox: Inbox(), sequences: store)
        let beta = Self.service("beta", "127.0.0.2", peer: "alpha", peerAddress: "127.0.0.1", port: port, inbox: inbox)
        alpha.start()
        beta.start()
        defer {
            alpha.stop()
            beta.stop()
        }
        #expect(await eventually(seconds: 3) { inbox.count >= 2 })
        let first = inbox.received.withLockedValue { $0.first?.sequence } ?? 0
        #expect(first > before)
    }
}
