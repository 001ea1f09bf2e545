#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers

/// Loopback ports for daemons a test configures before they start. They are handed out below the kernel's
/// ephemeral range (32768–60999), so neither another test's `bind` to port 0 nor the local end of an outgoing
/// connection can take one between the test choosing it and its daemon binding it; within this process each is
/// handed out once (the counter wraps after 12,000), and each is checked free for both TCP and UDP.
enum TestPorts {
    static let lowest = 20_000
    static let highest = 31_999
    private static let cursor = NIOLockedValueBox<Int>(lowest + Int(getpid() % 1_000) * 12)

    static func take() throws -> Int {
        for _ in 0...(highest - lowest) {
            let port = cursor.withLockedValue { value -> Int in
                defer { value = value >= highest ? lowest : value + 1 }
                return value
            }
            if isFree(port, type: Int32(SOCK_STREAM.rawValue)) && isFree(port, type: Int32(SOCK_DGRAM.rawValue)) {
                return port
            }
        }
        throw Exhausted(lowest: lowest, highest: highest)
    }

    struct Exhausted: Error, CustomStringConvertible {
        let lowest: Int
        let highest: Int
        var description: String { "no loopback port between \(lowest) and \(highest) is free for both TCP and UDP" }
    }

    private static func isFree(_ port: Int, type: Int32) -> Bool {
        let descriptor = socket(AF_INET, type, 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
