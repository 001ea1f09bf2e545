import Foundation
import Testing
import UnderstudyCore
import UnderstudyFailover
import UnderstudyNode

/// A takeover on a real (virtual) LAN: the client has learned the service address at `a`; the address moves
/// to `b`, and only `b`'s announcement makes the client's neighbour entry follow.
@Suite struct AddressAnnouncerTests {
    /// Puts `address` on `a`, lets the client resolve it, moves it to `b` and announces it there. Returns the
    /// client's entry before the announcement and after it (or after 5 s without change), and the two MACs.
    private func moveAndAnnounce(
        _ text: String, lan: BridgedLAN
    ) async throws
        -> (learned: String?, beforeAnnouncement: String?, afterAnnouncement: String?, macA: String, macB: String)
    {
        let address = try ServiceAddress.parse(text)
        let macA = try BridgedLAN.mac(of: lan.a)
        let macB = try BridgedLAN.mac(of: lan.b)
        #expect(try await lan.a.run { try InterfaceAddresses.add(address, interface: "eth0") })

        try await lan.probeFromClient(address.address)
        let learned = try await lan.awaitClientNeighbour(address.address, is: macA)

        #expect(try await lan.a.run { try InterfaceAddresses.remove(address, interface: "eth0") })
        #expect(try await lan.b.run { try InterfaceAddresses.add(address, interface: "eth0") })
        // Nothing but the announcement tells the client: its entry still points at a.
        let beforeAnnouncement = try lan.clientNeighbour(address.address)

        try await lan.b.run { try AddressAnnouncer.announce(address, interface: "eth0") }
        let afterAnnouncement = try await lan.awaitClientNeighbour(address.address, is: macB)
        return (learned, beforeAnnouncement, afterAnnouncement, macA, macB)
    }

    @Test func gratuitousARP_movesTheClientsNeighbourEntry_toTheNewHolder() async throws {
        let lan = try BridgedLAN.create()
        defer { lan.delete() }
        // The client's locktime (net.ipv4.neigh.eth0.locktime, 1 s by default) is left as it is, and the
        // announcement comes well within it of the ARP reply that taught the client a's MAC: Linux overrides
        // an entry at once for a gratuitous ARP (sender IP = target IP), locktime applies only to ordinary
        // replies (arp_process, since Linux 4.12). A takeover right after a client's lookup must work too.
        let result = try await moveAndAnnounce("10.77.1.100/24", lan: lan)
        #expect(result.macA != result.macB)
        #expect(result.learned == result.macA)
        #expect(result.beforeAnnouncement == result.macA)
        #expect(result.afterAnnouncement == result.macB)
    }

    @Test func unsolicitedNeighbourAdvertisement_movesTheClientsNeighbourEntry_toTheNewHolder() async throws {
        let lan = try BridgedLAN.create()
        defer { lan.delete() }
        // No sysctl is needed: neighbour discovery has no locktime, and a host updates an existing entry from
        // an advertisement with the Override flag (accept_untracked_na matters only for creating entries).
        // The client's kernel checks hop limit 255 and the ICMPv6 checksum, so this also proves the frame.
        let result = try await moveAndAnnounce("fd00:77::100/64", lan: lan)
        #expect(result.macA != result.macB)
        #expect(result.learned == result.macA)
        #expect(result.beforeAnnouncement == result.macA)
        #expect(result.afterAnnouncement == result.macB)
    }

    @Test func announce_onLoopback_throwsNotEthernet() async throws {
        let host = try NetworkNamespace.create("l")
        defer { host.delete() }
        let address = try ServiceAddress.parse("10.77.1.100/24")
        let error = try await host.run { () -> NetworkActionError? in
            do { try AddressAnnouncer.announce(address, interface: "lo") } catch { return error as? NetworkActionError }
            return nil
        }
        #expect(error?.code == .notEthernet)
        #expect(error?.message.hasPrefix("cannot announce 10.77.1.100 on lo: it is not an Ethernet interface") == true)
    }

    @Test func announce_onDownInterface_throwsAnnounceFailed_sayingItIsDown() async throws {
        let host = try NetworkNamespace.create("d")
        defer { host.delete() }
        try host.ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
        let errors = try await host.run { () -> [NetworkActionError?] in
            try ["10.77.1.100/24", "fd00:77::100/64"].map { text -> NetworkActionError? in
                let address = try ServiceAddress.parse(text)
                do { try AddressAnnouncer.announce(address, interface: "eth0") } catch {
                    return error as? NetworkActionError
                }
                return nil
            }
        }
        for error in errors {
            #expect(error?.code == .announceFailed)
            #expect(error?.errno == ENETDOWN)
            #expect(error?.message.contains("eth0 is down (ip link set eth0 up)") == true)
        }
    }
}
