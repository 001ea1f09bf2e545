#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A network namespace made for one test (the tests run as root), so addresses and announcements never touch
/// the machine's own interfaces. `delete()` removes it with every interface inside; call it in a `defer`.
///
/// Swift code runs inside with `run`, on a thread of its own that enters the namespace with setns(2): a
/// thread's namespace stays changed for its whole life, so a thread of Swift's cooperative pool must never
/// enter one. The thread ends with the closure, and the namespace is no longer referenced by it.
struct NetworkNamespace: Sendable {
    let name: String

    /// Creates "us<label><random>" with its loopback up. The random suffix keeps parallel tests and leftovers
    /// of a killed run apart.
    static func create(_ label: String) throws -> NetworkNamespace {
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let namespace = NetworkNamespace(name: "us\(label)\(suffix)")
        try Shell.run("ip", "netns", "add", namespace.name)
        do {
            try namespace.ip("link", "set", "lo", "up")
        } catch {
            namespace.delete()
            throw error
        }
        return namespace
    }

    /// Removes the namespace; its interfaces go with it, and so do the far ends of veth pairs leading into it.
    func delete() {
        _ = try? Shell.run("ip", "netns", "delete", name)
    }

    /// `ip -n NAME …`, returning what it printed.
    @discardableResult
    func ip(_ arguments: String...) throws -> String {
        try Shell.run(["ip", "-n", name] + arguments)
    }

    /// Sets a sysctl inside the namespace (net.* sysctls are per namespace), through `ip netns exec`.
    func sysctl(_ key: String, _ value: String) throws {
        try Shell.run("ip", "netns", "exec", name, "sysctl", "-q", "-w", "\(key)=\(value)")
    }

    /// Runs `body` on a new thread inside the namespace and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let path = "/var/run/netns/\(name)"
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else {
                    continuation.resume(
                        throwing: NamespaceError(message: "open \(path): \(String(cString: strerror(errno)))"))
                    return
                }
                defer { close(fd) }
                guard let setns = NetworkNamespace.setns else {
                    continuation.resume(
                        throwing: NamespaceError(message: "this C library has no setns(2); the namespace tests need it")
                    )
                    return
                }
                guard setns(fd, NetworkNamespace.cloneNewNet) == 0 else {
                    continuation.resume(
                        throwing: NamespaceError(message: "setns \(path): \(String(cString: strerror(errno)))"))
                    return
                }
                do {
                    continuation.resume(returning: try body())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.start()
        }
    }

    /// setns(2) through the C library: Swift's Glibc module does not declare it (it needs _GNU_SOURCE).
    private static let setns: (@convention(c) (Int32, Int32) -> Int32)? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "setns") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()
    private static let cloneNewNet: Int32 = 0x4000_0000
}

struct NamespaceError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Runs a command to its end and returns its output (standard output and error together).
enum Shell {
    @discardableResult
    static func run(_ arguments: String...) throws -> String {
        try run(arguments)
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        // Debian keeps ip and sysctl in /usr/sbin, which a test runner's PATH may lack.
        let path = "/usr/sbin:/sbin:/usr/bin:/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "")
        let (status, output) = try ChildProcess.run("/usr/bin/env", arguments, environment: ["PATH": path])
        guard status == 0 else {
            throw NamespaceError(message: "\(arguments.joined(separator: " ")) failed (\(status)): \(output)")
        }
        return output
    }
}
