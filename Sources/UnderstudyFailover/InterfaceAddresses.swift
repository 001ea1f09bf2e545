#if canImport(Glibc)
import Glibc
#endif
import CLinux
import UnderstudyCore

/// The service address on a local interface, through rtnetlink: what a takeover adds and a step-down removes.
///
/// Synchronous system calls that act in the network namespace of the calling thread. Adding and removing are
/// idempotent and say whether they changed anything, so a takeover that is repeated (a restart midway) is safe
/// and its log says what it did. An address is identified by its bytes and prefix length, as `ip addr` does.
public enum InterfaceAddresses {
    /// Adds `address` to `interface`; IPv6 without duplicate address detection, so it serves at once.
    /// - Parameter lifetime: seconds after which the kernel removes the address by itself unless `renew`ed; nil: never.
    /// - Returns: false when the interface already had it (nothing changed).
    @discardableResult
    public static func add(
        _ address: ServiceAddress, interface: String, lifetime: UInt32? = nil
    ) throws(NetworkActionError) -> Bool {
        let action = "cannot add \(address) to \(interface)"
        let index = try Self.index(of: interface, action: action)
        let result = address.bytes.withUnsafeBufferPointer {
            understudy_netaddr_add(
                1, index, address.socketFamily, $0.baseAddress, Int32(address.prefixLength), lifetime ?? 0)
        }
        if result < 0 {
            throw .failed(.addressAddFailed, action, interface: interface, family: address.family, errno: -result)
        }
        return result == 1
    }

    /// Gives `address` on `interface` a fresh lifetime of `seconds`, if it is there.
    /// - Returns: false when the interface does not have it (then nothing is added).
    public static func renew(
        _ address: ServiceAddress, interface: String, lifetime seconds: UInt32
    ) throws(NetworkActionError) -> Bool {
        guard try contains(address, interface: interface) else { return false }
        let action = "cannot renew \(address) on \(interface)"
        let index = try Self.index(of: interface, action: action)
        let result = address.bytes.withUnsafeBufferPointer {
            understudy_netaddr_renew(index, address.socketFamily, $0.baseAddress, Int32(address.prefixLength), seconds)
        }
        if result < 0 {
            throw .failed(.addressAddFailed, action, interface: interface, family: address.family, errno: -result)
        }
        return true
    }

    /// Removes `address` from `interface`.
    /// - Returns: false when the interface did not have it (nothing changed).
    @discardableResult
    public static func remove(_ address: ServiceAddress, interface: String) throws(NetworkActionError) -> Bool {
        let action = "cannot remove \(address) from \(interface)"
        let index = try Self.index(of: interface, action: action)
        let result = address.bytes.withUnsafeBufferPointer {
            understudy_netaddr_change(0, index, address.socketFamily, $0.baseAddress, Int32(address.prefixLength))
        }
        if result < 0 {
            throw .failed(.addressRemoveFailed, action, interface: interface, family: address.family, errno: -result)
        }
        return result == 1
    }

    /// True when `interface` has `address` with the same prefix length.
    public static func contains(_ address: ServiceAddress, interface: String) throws(NetworkActionError) -> Bool {
        let action = "cannot list the addresses of \(interface)"
        let index = try Self.index(of: interface, action: action)
        let result = address.bytes.withUnsafeBufferPointer {
            understudy_netaddr_contains(index, address.socketFamily, $0.baseAddress, Int32(address.prefixLength))
        }
        if result < 0 {
            throw .failed(.addressQueryFailed, action, interface: interface, family: address.family, errno: -result)
        }
        return result == 1
    }

    /// The interface's MAC address, six bytes (all zero for loopback).
    public static func hardwareAddress(interface: String) throws(NetworkActionError) -> [UInt8] {
        try link(interface: interface, action: "cannot read the hardware address of \(interface)").hardwareAddress
    }

    /// What an announcement needs to know about an interface.
    struct Link {
        var index: UInt32
        var hardwareAddress: [UInt8]
        var isEthernet: Bool
    }

    static func link(interface: String, action: String) throws(NetworkActionError) -> Link {
        let index = try Self.index(of: interface, action: action)
        var bytes = [UInt8](repeating: 0, count: 16)
        var hardwareType: Int32 = 0
        let length = interface.withCString { name in
            bytes.withUnsafeMutableBufferPointer {
                understudy_if_hwaddr(name, $0.baseAddress, Int32($0.count), &hardwareType)
            }
        }
        if length < 0 {
            throw .failed(.hardwareAddressFailed, action, interface: interface, errno: -length)
        }
        guard length > 0 else {
            throw NetworkActionError(
                code: .notEthernet,
                message: "\(action): it is not an Ethernet interface (hardware type \(hardwareType)); "
                    + "choose the Ethernet interface (or bridge, bond, VLAN) that the clients reach")
        }
        return Link(
            index: index, hardwareAddress: Array(bytes[..<Int(length)]),
            isEthernet: hardwareType == 1 /* ARPHRD_ETHER */)
    }

    /// The interface index, looked up in the calling thread's namespace; throws `noSuchInterface` for an unknown name.
    static func index(of interface: String, action: String) throws(NetworkActionError) -> UInt32 {
        guard !interface.isEmpty, interface.utf8.count <= 15, !interface.contains("/"), !interface.contains("\0") else {
            throw .noSuchInterface(action, interface: interface)
        }
        let index = if_nametoindex(interface)
        if index == 0 {
            throw .failed(.noSuchInterface, action, interface: interface, errno: Glibc.errno)
        }
        return index
    }
}

extension ServiceAddress {
    /// AF_INET or AF_INET6, for the C shims.
    var socketFamily: Int32 {
        family == .ipv4 ? AF_INET : AF_INET6
    }
}
