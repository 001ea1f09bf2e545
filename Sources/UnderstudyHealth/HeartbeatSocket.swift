#if canImport(Glibc)
import Glibc
#endif
import UnderstudySupport

/// A non-blocking UDP socket bound to one link address and the heartbeat port.
final class HeartbeatSocket {
    let link: String
    let address: String
    let fd: Int32
    private let family: Int32

    /// Binds `address`:`port`; throws a message naming the link when the address is not on this machine.
    init(link: String, address: String, port: Int) throws(HeartbeatSocketError) {
        self.link = link
        self.address = address
        family = address.contains(":") ? AF_INET6 : AF_INET
        fd = socket(
            family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw HeartbeatSocketError("cannot open a UDP socket for link '\(link)': \(errnoText(errno))")
        }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        // Heartbeats must get through a busy link first (DSCP CS6, "network control").
        var tos: Int32 = 0xc0
        if family == AF_INET { setsockopt(fd, Int32(IPPROTO_IP), IP_TOS, &tos, socklen_t(MemoryLayout<Int32>.size)) }
        let bound = Self.withSockaddr(address, port: port) { pointer, length in bind(fd, pointer, length) }
        guard bound == 0 else {
            let reason = bound == nil ? "not an IP address" : errnoText(errno)
            close(fd)
            throw HeartbeatSocketError(
                "cannot listen for heartbeats on link '\(link)' at \(address) port \(port): \(reason); is \(address) an address of this machine?"
            )
        }
    }

    deinit { close(fd) }

    /// Sends one datagram; errors (link down, no route) are returned, not thrown: the next interval tries again.
    func send(_ bytes: [UInt8], to address: String, port: Int) -> Int32? {
        let result = Self.withSockaddr(address, port: port) { pointer, length in
            bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT), pointer, length) }
        }
        guard let result else { return EINVAL }
        return result < 0 ? errno : nil
    }

    /// One waiting datagram and its source address, or nil when none is left.
    func receive() -> (bytes: [UInt8], from: String)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        var buffer = [UInt8](repeating: 0, count: 2048)
        let count = buffer.withUnsafeMutableBytes { raw in
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(fd, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT), $0, &length)
                }
            }
        }
        guard count >= 0 else { return nil }
        return (Array(buffer[..<count]), Self.describe(&storage))
    }

    private static func withSockaddr<R>(
        _ address: String, port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R
    ) -> R? {
        if address.contains(":") {
            var v6 = sockaddr_in6()
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET6, address, &v6.sin6_addr) == 1 else { return nil }
            return withUnsafePointer(to: &v6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
        var v4 = sockaddr_in()
        v4.sin_family = sa_family_t(AF_INET)
        v4.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, address, &v4.sin_addr) == 1 else { return nil }
        return withUnsafePointer(to: &v4) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    private static func describe(_ storage: inout sockaddr_storage) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        if storage.ss_family == sa_family_t(AF_INET6) {
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    var address = pointer.pointee.sin6_addr
                    inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
                    return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                }
            }
        }
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                var address = pointer.pointee.sin_addr
                inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
                return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
    }
}

struct HeartbeatSocketError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
