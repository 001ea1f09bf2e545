#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
import UnderstudyCore
@testable import UnderstudyFailover
@testable import UnderstudyNode

/// The service address dies with the daemon that holds it: the guardian removes it the moment the daemon's end of the
/// pipe closes, and the kernel drops one whose lifetime was not renewed.
@Suite(.serialized)
struct AddressHoldingsTests {
    static let address = try! ServiceAddress.parse("10.77.1.100/24")

    /// A host whose eth0 has its own address first, as a node's LAN interface does: the service addresses are
    /// secondaries beside it (the kernel removes secondaries with their primary).
    static func makeHost() throws -> NetworkNamespace {
        let host = try InterfaceAddressesTests.makeHost()
        do {
            try host.ip("addr", "add", "10.77.1.1/24", "dev", "eth0")
        } catch {
            host.delete()
            throw error
        }
        return host
    }

    static func present(_ host: NetworkNamespace) throws -> Bool {
        try host.ip("-4", "addr", "show", "dev", "eth0").contains("10.77.1.100/24")
    }

    /// Polls without holding a thread of the pool (a blocked pool delays every other test's timers).
    static func waitUntil(seconds: Double, _ condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return try condition()
    }

    @Test func theGuardian_removesTheAddress_theMomentItsDaemonsEndCloses() async throws {
        let host = try Self.makeHost()
        defer { host.delete() }
        let guardian = AddressGuardian(executable: DaemonProcess.binary, logger: Logger(label: "test"))
        try await host.run {
            _ = try InterfaceAddresses.add(Self.address, interface: "eth0")
            guardian.hold(Self.address, interface: "eth0")  // started here, in the namespace
        }
        #expect(try Self.present(host))
        let closed = Date()
        guardian.stop()  // what the daemon's death does to the pipe
        #expect(try await Self.waitUntil(seconds: 2) { try !Self.present(host) }, "the address outlived its daemon")
        #expect(Date().timeIntervalSince(closed) < 1)
    }

    @Test func aDroppedAddress_isLeftAlone_andADeadGuardianIsReplacedAndToldAgain() async throws {
        let host = try Self.makeHost()
        defer { host.delete() }
        let other = try ServiceAddress.parse("10.77.1.101/24")
        let guardian = AddressGuardian(executable: DaemonProcess.binary, logger: Logger(label: "test"))
        try await host.run {
            _ = try InterfaceAddresses.add(Self.address, interface: "eth0")
            _ = try InterfaceAddresses.add(other, interface: "eth0")
            guardian.hold(Self.address, interface: "eth0")
            guardian.hold(other, interface: "eth0")
            guardian.drop(other, interface: "eth0")
        }
        // Someone kills the guardian; the next order starts another, which learns what is held.
        let pids = try Shell.run("ip", "netns", "pids", host.name).split(separator: "\n").compactMap { Int32($0) }
        for pid in pids { kill(pid, SIGKILL) }
        try await Task.sleep(for: .milliseconds(100))
        try await host.run { guardian.hold(Self.address, interface: "eth0") }
        guardian.stop()
        #expect(try await Self.waitUntil(seconds: 2) { try !Self.present(host) })
        #expect(
            try host.ip("-4", "addr", "show", "dev", "eth0").contains("10.77.1.101/24"),
            "a dropped address is not the guardian's")
    }

    @Test func anAddressWithALifetime_goesWhenNotRenewed_andStaysWhileRenewed() async throws {
        let host = try Self.makeHost()
        defer { host.delete() }
        let lapsed = NIOLockedValueBox<[String]>([])
        let holdings = AddressHoldings(lifetime: 2, guardian: nil, logger: Logger(label: "test")) { group in
            lapsed.withLockedValue { $0.append(group) }
        }
        let renewed = try ServiceAddress.parse("10.77.1.102/24")
        try await host.run {
            _ = try InterfaceAddresses.add(Self.address, interface: "eth0", lifetime: 2)
            // Held (added with the holdings' lifetime) and renewed from a thread in the namespace: the renewal thread
            // inherits it.
            _ = try holdings.add(.init(group: "web", address: renewed, interface: "eth0"))
            holdings.start()
        }
        // The renewing thread is joined whatever the checks find.
        var failure: (any Error)?
        do {
            #expect(
                try host.ip("-4", "addr", "show", "dev", "eth0").contains("valid_lft 2sec")
                    || (try host.ip("-4", "addr", "show", "dev", "eth0").contains("valid_lft 1sec")))
            #expect(
                try await Self.waitUntil(seconds: 5) { try !Self.present(host) },
                "an address whose lifetime ran out is still there")
            #expect(
                try host.ip("-4", "addr", "show", "dev", "eth0").contains("10.77.1.102/24"), "the renewed one stays")
            // Removed behind its back: the holdings notice, and say which group lost it.
            _ = try host.ip("addr", "del", "10.77.1.102/24", "dev", "eth0")
            #expect(await Self.waitUntil(seconds: 3) { lapsed.withLockedValue { $0 } == ["web"] })
            #expect(holdings.holdings.isEmpty)
            #expect(
                try !host.ip("-4", "addr", "show", "dev", "eth0").contains("10.77.1.102/24"),
                "a lapsed address is not brought back")
        } catch {
            failure = error
        }
        await holdings.stop()
        if let failure { throw failure }
    }
}
