#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One Ethernet segment of three hosts, each a namespace with an `eth0`: a client and two servers, `a` (the
/// old primary) and `b` (the standby), joined by a bridge that lives in a fourth namespace so that nothing is
/// created in the machine's own. The client has 10.77.1.10/24 and fd00:77::10/64; the servers start bare.
struct BridgedLAN {
    let client: NetworkNamespace
    let a: NetworkNamespace
    let b: NetworkNamespace
    let bridge: NetworkNamespace

    static func create() throws -> BridgedLAN {
        var made: [NetworkNamespace] = []
        do {
            for label in ["c", "a", "b", "s"] { made.append(try NetworkNamespace.create(label)) }
            let lan = BridgedLAN(client: made[0], a: made[1], b: made[2], bridge: made[3])
            // Multicast snooping off: every host hears neighbour solicitations whether or not the bridge has
            // seen the MLD report for the solicited-node group. forward_delay 0: ports forward at once.
            try lan.bridge.ip("link", "add", "br0", "type", "bridge", "mcast_snooping", "0", "forward_delay", "0")
            try lan.bridge.ip("link", "set", "br0", "up")
            for (host, port) in [(lan.client, "pc"), (lan.a, "pa"), (lan.b, "pb")] {
                try lan.bridge.ip("link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", host.name)
                try lan.bridge.ip("link", "set", port, "master", "br0", "up")
                try host.ip("link", "set", "eth0", "up")
            }
            try lan.client.ip("addr", "add", "10.77.1.10/24", "dev", "eth0")
            try lan.client.ip("addr", "add", "fd00:77::10/64", "dev", "eth0", "nodad")
            return lan
        } catch {
            for namespace in made { namespace.delete() }
            throw error
        }
    }

    func delete() {
        for namespace in [client, a, b, bridge] { namespace.delete() }
    }

    /// The MAC address of `eth0` in `host`, as `ip link` prints it ("02:ab:…").
    static func mac(of host: NetworkNamespace) throws -> String {
        let output = try host.ip("link", "show", "eth0")
        guard let range = output.range(of: "link/ether ") else {
            throw NamespaceError(message: "no link/ether in: \(output)")
        }
        return String(output[range.upperBound...].prefix(17))
    }

    /// The MAC the client's neighbour table holds for `address`, or nil when it has none.
    func clientNeighbour(_ address: String) throws -> String? {
        let words = try client.ip("neigh", "show", address, "dev", "eth0").split(whereSeparator: \.isWhitespace)
        guard let index = words.firstIndex(of: "lladdr"), index + 1 < words.count else { return nil }
        return String(words[index + 1])
    }

    /// Polls the client's neighbour entry for `address` until it is `mac` or `seconds` pass; returns the last seen.
    func awaitClientNeighbour(_ address: String, is mac: String, seconds: Double = 5) async throws -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        var seen = try clientNeighbour(address)
        while seen != mac && Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
            seen = try clientNeighbour(address)
        }
        return seen
    }

    /// Sends one UDP datagram from the client to `address` (port 9, discard): enough to make the client resolve
    /// the address by ARP or neighbour solicitation, where `ping`, not installed here, would do the same.
    func probeFromClient(_ address: String) async throws {
        try await client.run {
            let isIPv6 = address.contains(":")
            let fd = socket(isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { throw NamespaceError(message: "socket: \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let payload: [UInt8] = Array("probe".utf8)
            var sent = -1
            if isIPv6 {
                var destination = sockaddr_in6()
                destination.sin6_family = sa_family_t(AF_INET6)
                destination.sin6_port = in_port_t(9).bigEndian
                guard inet_pton(AF_INET6, address, &destination.sin6_addr) == 1 else {
                    throw NamespaceError(message: "bad \(address)")
                }
                sent = withUnsafePointer(to: &destination) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                    }
                }
            } else {
                var destination = sockaddr_in()
                destination.sin_family = sa_family_t(AF_INET)
                destination.sin_port = in_port_t(9).bigEndian
                guard inet_pton(AF_INET, address, &destination.sin_addr) == 1 else {
                    throw NamespaceError(message: "bad \(address)")
                }
                sent = withUnsafePointer(to: &destination) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            guard sent == payload.count else {
                throw NamespaceError(message: "sendto \(address): \(String(cString: strerror(errno)))")
            }
        }
    }
}
