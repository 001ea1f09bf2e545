#if canImport(Glibc)
import Glibc
#endif
import UnderstudyCore

/// A failed network action of a takeover or a step-down: adding, removing or announcing the service address.
public struct NetworkActionError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The configured interface does not exist in this node's network namespace.
        case noSuchInterface = "no-such-interface"
        case addressAddFailed = "address-add-failed"
        case addressRemoveFailed = "address-remove-failed"
        case addressQueryFailed = "address-query-failed"
        case hardwareAddressFailed = "hardware-address-failed"
        /// Gratuitous ARP and neighbour advertisements are Ethernet frames; the interface is of another kind.
        case notEthernet = "not-ethernet"
        case announceFailed = "announce-failed"
    }

    public let code: Code
    /// What failed and what to do about it: "cannot add 10.77.1.100/24 to eth9: no such interface (…)".
    public let message: String
    /// The errno of the failed call, 0 when none failed (for example an interface of the wrong kind).
    public let errno: Int32

    public init(code: Code, message: String, errno: Int32 = 0) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String { message }

    /// The error of a failed call: `action` says what was attempted ("cannot add 10.77.1.100/24 to eth0"),
    /// the errno why, with a hint for the causes an administrator meets.
    static func failed(
        _ code: Code, _ action: String, interface: String, family: ServiceAddress.Family? = nil, errno value: Int32
    ) -> NetworkActionError {
        if value == ENODEV || value == ENXIO {
            return noSuchInterface(action, interface: interface)
        }
        let reason = String(cString: strerror(value))
        let hint: String
        switch value {
        case EPERM:
            hint = "; understudy needs the CAP_NET_ADMIN and CAP_NET_RAW capabilities (run it as root)"
        case EACCES where family == .ipv6:
            hint = "; IPv6 is probably disabled on \(interface) (sysctl net.ipv6.conf.\(interface).disable_ipv6)"
        case EACCES:
            hint = "; understudy needs the CAP_NET_ADMIN and CAP_NET_RAW capabilities (run it as root)"
        case ENETDOWN:
            hint = "; \(interface) is down (ip link set \(interface) up)"
        case ETIMEDOUT:
            hint = "; the kernel did not answer within 3 seconds"
        default:
            hint = ""
        }
        return NetworkActionError(code: code, message: "\(action): \(reason) (errno \(value))\(hint)", errno: value)
    }

    static func noSuchInterface(_ action: String, interface: String) -> NetworkActionError {
        let detail =
            interface.utf8.count > 15 || interface.isEmpty
            ? "\(String(reflecting: interface)) is not an interface name, which has 1 to 15 characters"
            : "no such interface (ip link shows the names)"
        return NetworkActionError(code: .noSuchInterface, message: "\(action): \(detail)", errno: ENODEV)
    }
}

extension NetworkActionError: CodedError {
    public var errorCode: String { code.rawValue }
}
