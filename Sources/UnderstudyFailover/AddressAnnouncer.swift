#if canImport(Glibc)
import Glibc
#endif
import CLinux
import UnderstudyCore

/// Tells the LAN that a service address now lives behind this node's MAC address, so clients and routers
/// send to it at once instead of to the failed primary until their neighbour entries expire (minutes).
///
/// One call sends one frame: a gratuitous ARP request for IPv4, an unsolicited neighbour advertisement with
/// the Override flag for IPv6. Frames can be lost, so the caller repeats the announcement a few times at an
/// interval. Announce only an address this node holds: the frame moves the traffic here whether or not it does.
public enum AddressAnnouncer {
    public static func announce(_ address: ServiceAddress, interface: String) throws(NetworkActionError) {
        let action = "cannot announce \(address.address) on \(interface)"
        let link = try InterfaceAddresses.link(interface: interface, action: action)
        guard link.isEthernet else {
            throw NetworkActionError(
                code: .notEthernet,
                message: "\(action): it is not an Ethernet interface, so neighbours do not learn addresses by "
                    + "ARP or neighbour discovery; choose the Ethernet interface (or bridge, bond, VLAN) that the clients reach"
            )
        }
        let result: Int32 = address.bytes.withUnsafeBufferPointer { ip in
            link.hardwareAddress.withUnsafeBufferPointer { mac in
                switch address.family {
                case .ipv4:
                    return understudy_send_gratuitous_arp(link.index, mac.baseAddress, ip.baseAddress)
                case .ipv6:
                    let router: Int32 = isForwardingIPv6(interface: interface) ? 1 : 0
                    return understudy_send_unsolicited_na(link.index, mac.baseAddress, ip.baseAddress, router)
                }
            }
        }
        if result < 0 {
            throw .failed(.announceFailed, action, interface: interface, family: address.family, errno: -result)
        }
    }

    /// Whether this node routes IPv6 on the interface. The advertisement carries the Router flag accordingly, as
    /// the kernel's own advertisements do: a clear flag makes hosts drop a router from their default routes.
    static func isForwardingIPv6(interface: String) -> Bool {
        // Read in the calling thread's namespace: /proc/sys/net follows the namespace of the thread that opens it.
        let fd = open("/proc/sys/net/ipv6/conf/\(interface)/forwarding", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var byte: UInt8 = 0
        return read(fd, &byte, 1) == 1 && byte == UInt8(ascii: "1")
    }
}
