#if canImport(Glibc)
import Glibc
#endif

/// A loopback port that refuses connections for as long as this value is open: a socket bound to it that
/// never listens. Closing a listener instead would free the port for a test running in parallel to take.
/// `listening`: the kernel completes connections to it instead (a service a TCP check finds up), up to its backlog.
struct ReservedPort {
    let port: Int
    private let descriptor: Int32

    init(listening: Bool = false) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(call: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound, !listening || listen(descriptor, 256) == 0 else {
            close(descriptor)
            throw Failure(call: "bind")
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    func release() {
        close(descriptor)
    }

    struct Failure: Error {
        let call: String
    }
}
