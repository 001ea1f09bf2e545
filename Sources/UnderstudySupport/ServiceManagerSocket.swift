#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The service manager's notification socket (systemd's `sd_notify` protocol, `Type=notify`): a datagram
/// `AF_UNIX` socket named by `NOTIFY_SOCKET`, a path or, with a leading `@`, a name in the abstract namespace. Each
/// message is one datagram of `KEY=VALUE` lines: `READY=1`, `STATUS=…`, `WATCHDOG=1`, `STOPPING=1`.
public struct ServiceManagerSocket: Sendable {
    /// The socket's address as `NOTIFY_SOCKET` gave it.
    public let address: String
    /// How often the manager expects `WATCHDOG=1` at the latest (`WATCHDOG_USEC`); nil when it watches nothing, or
    /// watches another process (`WATCHDOG_PID`).
    public let watchdogTimeout: Duration?

    /// The socket the environment names; nil when the process was not started by a service manager that listens.
    public init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let address = environment["NOTIFY_SOCKET"], address.hasPrefix("/") || address.hasPrefix("@"),
            address.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        else { return nil }
        self.address = address
        let forUs = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        if forUs, let text = environment["WATCHDOG_USEC"], let microseconds = Int64(text), microseconds > 0 {
            watchdogTimeout = .microseconds(microseconds)
        } else {
            watchdogTimeout = nil
        }
    }

    /// Sends one message (lines `KEY=VALUE`). Throws with the reason when the socket cannot be reached; the caller
    /// logs it and goes on (the manager's timeout then tells the administrator).
    public func send(_ message: String) throws {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ServiceManagerSocketError(address: address, errno: errno) }
        defer { close(descriptor) }
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        var name = Array(address.utf8)
        // An abstract name starts with a zero byte, and its length (not a terminator) says where it ends.
        if name.first == UInt8(ascii: "@") { name[0] = 0 }
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { path in
            for (index, byte) in name.enumerated() { path[index] = byte }
        }
        let length = socklen_t(MemoryLayout.offset(of: \sockaddr_un.sun_path)! + name.count)
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &socketAddress) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                sendto(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL), address, length)
            }
        }
        guard sent == bytes.count else { throw ServiceManagerSocketError(address: address, errno: errno) }
    }
}

/// A notification the service manager's socket did not take.
public struct ServiceManagerSocketError: Error, CustomStringConvertible {
    public let address: String
    public let errno: Int32

    public var description: String {
        "cannot notify the service manager at NOTIFY_SOCKET=\(address): \(errnoText(errno))"
    }
}
