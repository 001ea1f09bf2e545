import Foundation
import Testing
import UnderstudyCore
import UnderstudyFailover
import UnderstudyNode

/// Real rtnetlink calls inside a namespace of their own (the tests run as root), checked with `ip`.
@Suite struct InterfaceAddressesTests {
    /// A namespace whose eth0 is one end of a veth pair with the other end (eth1) beside it, both up: a link with
    /// carrier, the condition in which IPv6 runs duplicate address detection.
    static func makeHost() throws -> NetworkNamespace {
        let host = try NetworkNamespace.create("h")
        do {
            try host.ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
            try host.ip("link", "set", "eth0", "up")
            try host.ip("link", "set", "eth1", "up")
        } catch {
            host.delete()
            throw error
        }
        return host
    }

    /// The line of `ip addr show dev eth0` about `address` ("inet 10.77.1.100/24 brd … scope global eth0"), or nil.
    static func addressLine(_ host: NetworkNamespace, _ address: String) throws -> String? {
        try host.ip("addr", "show", "dev", "eth0").split(separator: "\n")
            .first { $0.split(separator: " ").contains { $0.hasPrefix(address + "/") } }
            .map(String.init)
    }

    @Test func ipv4_add_thenAddAgain_thenRemove_thenRemoveAgain_reportsWhatChanged() async throws {
        let host = try Self.makeHost()
        defer { host.delete() }
        let address = try ServiceAddress.parse("10.77.1.100/24")

        let (added, addedAgain, present) = try await host.run {
            (
                try InterfaceAddresses.add(address, interface: "eth0"),
                try InterfaceAddresses.add(address, interface: "eth0"),
                try InterfaceAddresses.contains(address, interface: "eth0")
            )
        }
        #expect(added)
        #expect(!addedAgain)
        #expect(present)
        let line = try #require(try Self.addressLine(host, "10.77.1.100"))
        #expect(line.contains("inet 10.77.1.100/24 brd 10.77.1.255 scope global eth0"))

        let (removed, removedAgain, stillPresent) = try await host.run {
            (
                try InterfaceAddresses.remove(address, interface: "eth0"),
                try InterfaceAddresses.remove(address, interface: "eth0"),
                try InterfaceAddresses.contains(address, interface: "eth0")
            )
        }
        #expect(removed)
        #expect(!removedAgain)
        #expect(!stillPresent)
        #expect(try Self.addressLine(host, "10.77.1.100") == nil)
    }

    @Test func ipv6_add_isUsableAtOnce_withoutTentativeState() async throws {
        let host = try Self.makeHost()
        defer { host.delete() }
        let address = try ServiceAddress.parse("fd00:77::100/64")

        #expect(try await host.run { try InterfaceAddresses.add(address, interface: "eth0") })
        let line = try #require(try Self.addressLine(host, "fd00:77::100"))
        #expect(line.contains("inet6 fd00:77::100/64 scope global"))
        #expect(!line.contains("tentative"))
        // The control: the same kind of address added the ordinary way is tentative on this link, so the
        // check above would have seen duplicate address detection had the flag been missing.
        try host.ip("addr", "add", "fd00:77::200/64", "dev", "eth0")
        #expect(try Self.addressLine(host, "fd00:77::200")?.contains("tentative") == true)

        let (again, present, removed, removedAgain) = try await host.run {
            (
                try InterfaceAddresses.add(address, interface: "eth0"),
                try InterfaceAddresses.contains(address, interface: "eth0"),
                try InterfaceAddresses.remove(address, interface: "eth0"),
                try InterfaceAddresses.remove(address, interface: "eth0")
            )
        }
        #expect(!again)
        #expect(present)
        #expect(removed)
        #expect(!removedAgain)
        #expect(try Self.addressLine(host, "fd00:77::100") == nil)
    }

    @Test func remove_leavesTheInterfacesOtherAddresses() async throws {
        let host = try Self.makeHost()
        defer { host.delete() }
        try host.ip("addr", "add", "10.77.1.5/24", "dev", "eth0")
        let address = try ServiceAddress.parse("10.77.1.100/24")
        try await host.run {
            _ = try InterfaceAddresses.add(address, interface: "eth0")
            _ = try InterfaceAddresses.remove(address, interface: "eth0")
        }
        #expect(try Self.addressLine(host, "10.77.1.5") != nil)
        #expect(try Self.addressLine(host, "10.77.1.100") == nil)
    }

    @Test func contains_isFalse_forTheSameAddressWithAnotherPrefix() async throws {
        let host = try Self.makeHost()
        defer { host.delete() }
        try host.ip("addr", "add", "10.77.1.100/24", "dev", "eth0")
        let (same, other) = try await host.run {
            (
                try InterfaceAddresses.contains(ServiceAddress.parse("10.77.1.100/24"), interface: "eth0"),
                try InterfaceAddresses.contains(ServiceAddress.parse("10.77.1.100/16"), interface: "eth0")
            )
        }
        #expect(same)
        #expect(!other)
    }

    @Test func unknownInterface_throwsNoSuchInterface_namingTheInterfaceAndAddress() async throws {
        let host = try Self.makeHost()
        defer { host.delete() }
        let address = try ServiceAddress.parse("10.77.1.100/24")
        let errors = try await host.run {
            var errors: [NetworkActionError] = []
            func record(_ body: () throws -> Void) {
                do { try body() } catch let error as NetworkActionError { errors.append(error) } catch {}
            }
            record { _ = try InterfaceAddresses.add(address, interface: "eth9") }
            record { _ = try InterfaceAddresses.remove(address, interface: "eth9") }
            record { _ = try InterfaceAddresses.contains(address, interface: "eth9") }
            record { _ = try InterfaceAddresses.hardwareAddress(interface: "eth9") }
            record { try AddressAnnouncer.announce(address, interface: "eth9") }
            record { _ = try InterfaceAddresses.add(address, interface: "a-name-longer-than-15") }
            return errors
        }
        try #require(errors.count == 6)
        #expect(errors.allSatisfy { $0.code == NetworkActionError.Code.noSuchInterface && $0.errno == ENODEV })
        #expect(errors[0].message == "cannot add 10.77.1.100/24 to eth9: no such interface (ip link shows the names)")
        #expect(errors[1].message.hasPrefix("cannot remove 10.77.1.100/24 from eth9: no such interface"))
        #expect(errors[2...4].allSatisfy { $0.message.contains("eth9: no such interface") })
        #expect(
            errors[5].message.contains(
                "\"a-name-longer-than-15\" is not an interface name, which has 1 to 15 characters"))
    }

    @Test func hardwareAddress_matchesIpLink() async throws {
        let host = try Self.makeHost()
        defer { host.delete() }
        let output = try host.ip("link", "show", "eth0")
        let words = output.split(whereSeparator: \.isWhitespace)
        let shown = try #require(words.firstIndex(of: "link/ether").map { String(words[$0 + 1]) })

        let bytes = try await host.run { try InterfaceAddresses.hardwareAddress(interface: "eth0") }
        #expect(bytes.count == 6)
        #expect(bytes.map { String(format: "%02x", $0) }.joined(separator: ":") == shown)
        #expect(try await host.run { try InterfaceAddresses.hardwareAddress(interface: "lo") } == [0, 0, 0, 0, 0, 0])
    }
}
