#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
import UnderstudySupport
import UnderstudyTransport

/// A listener that closes while peers keep connecting (a daemon stopping, a reload): the connections accepted but not
/// yet served are closed, and the process lives on. Before, a connection caught between its acceptance and the
/// accept loop trapped in NIO ("Deinited NIOAsyncWriter without calling finish()", swift-nio#2637).
@Suite(.timeLimit(.minutes(2)))
struct AcceptLoopClosingTests {
    @Test func aPeerListenerClosedUnderABurstOfConnections_closesThemAll_andTheProcessLivesOn() async throws {
        let certificates = try PeerTLSTestCluster(cluster: "test", nodes: ["alpha", "beta"])
        defer { certificates.remove() }
        let tls = try PeerTLS.serverContext(certificates.identity("alpha"))
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        for _ in 0..<20 {
            let server = try await PeerTransport.listen(
                host: "127.0.0.1", port: 0, tls: tls, allowedNodes: ["beta"], cluster: "test", logger: logger)
            let port = try #require(server.channel.localAddress?.port)
            let serving = Task {
                try await AcceptLoop.run(server, close: { try? await $0.channel.executeThenClose { _, _ in } }) {
                    try? await $0.channel.executeThenClose { _, _ in }
                }
            }
            // A burst of plain TCP connections, and the listener cancelled while they are being accepted.
            let sockets = (0..<64).map { _ in Self.connect(port: port) }
            serving.cancel()
            _ = try? await serving.value
            for socket in sockets where socket >= 0 { close(socket) }
        }
    }

    /// A non-blocking connect to 127.0.0.1:`port` (the descriptor, or -1).
    static func connect(port: Int) -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { return -1 }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return descriptor
    }
}
