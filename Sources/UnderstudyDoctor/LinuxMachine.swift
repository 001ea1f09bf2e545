#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Foundation
import UnderstudyFileSystem

/// `DoctorMachine` on Linux: /proc, fanotify and inotify, sockets, getifaddrs, adjtimex, statvfs.
public struct LinuxMachine: DoctorMachine {
    public init() {}

    public func effectiveCapabilities() -> UInt64? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("CapEff:") {
            return UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        }
        return nil
    }

    public func fanotifyProblem(on path: String) -> Int32 {
        let fd = understudy_fanotify_init()
        guard fd >= 0 else { return -fd }
        defer { close(fd) }
        let marked = understudy_fanotify_mark_filesystem(fd, path)
        guard marked == 0 else { return -marked }
        let mount = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard mount >= 0 else { return errno }
        defer { close(mount) }
        return -understudy_fanotify_check_handles(mount, path)
    }

    public func inotifyWatchLimit() -> Int? {
        (try? String(contentsOfFile: "/proc/sys/fs/inotify/max_user_watches", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    public func directories(under path: String, countingUpTo limit: Int) -> Int? {
        guard opendir(path).map({ closedir($0) }) != nil else { return nil }
        var count = 0
        var pending = [path]
        while let directory = pending.popLast(), count < limit {
            count += 1
            guard let stream = opendir(directory) else { continue }
            defer { closedir(stream) }
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                guard name != ".", name != "..", entry.pointee.d_type == UInt8(DT_DIR) else { continue }
                pending.append(directory + "/" + name)
            }
        }
        return count
    }

    public func bindProblem(host: String, port: Int, udp: Bool) -> Int32? {
        guard var address = SocketAddress(host: host, port: port) else { return EADDRNOTAVAIL }
        let fd = socket(
            address.family, Int32(udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        var on: Int32 = 1
        // As the daemon binds: a port left in TIME_WAIT by its last run is free.
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        return address.withPointer { bind(fd, $0, $1) } == 0 ? nil : errno
    }

    public func connect(host: String, port: Int, from source: String?, timeout: Double) -> ConnectOutcome {
        guard var address = SocketAddress(host: host, port: port) else { return .failed("'\(host)' is not an address") }
        let fd = socket(
            address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return .failed(String(cString: strerror(errno))) }
        defer { close(fd) }
        if let source {
            guard var local = SocketAddress(host: source, port: 0), local.family == address.family else {
                return .failed("'\(source)' is not an address of the peer's family")
            }
            guard local.withPointer({ bind(fd, $0, $1) }) == 0 else {
                return .failed("\(source) is not an address of this machine (\(String(cString: strerror(errno))))")
            }
        }
        if address.withPointer({ Glibc.connect(fd, $0, $1) }) != 0 {
            guard errno == EINPROGRESS else { return Self.outcome(errno) }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard poll(&poller, 1, Int32(timeout * 1000)) == 1 else { return .noAnswer }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error != 0 { return Self.outcome(error) }
        }
        return .connected
    }

    static func outcome(_ error: Int32) -> ConnectOutcome {
        switch error {
        case ECONNREFUSED: .refused
        case ETIMEDOUT, EHOSTUNREACH: .noAnswer
        default: .failed(String(cString: strerror(error)))
        }
    }

    public func interfaceAddresses() -> [String: [String]] {
        var result: [String: [String]] = [:]
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [:] }
        defer { freeifaddrs(list) }
        var cursor = list
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            let name = String(cString: entry.pointee.ifa_name)
            if result[name] == nil { result[name] = [] }
            guard let address = entry.pointee.ifa_addr else { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let family = Int32(address.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            if getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 {
                // A link-local IPv6 address comes with its zone ("fe80::1%eth0").
                let text = String(cString: host)
                result[name]?.append(String(text.split(separator: "%").first ?? Substring(text)))
            }
        }
        return result
    }

    public func clockSynchronization() -> (synchronized: Bool, maximumErrorSeconds: Double)? {
        var synchronized: Int32 = 0
        var maximumError = 0
        guard understudy_clock_state(&synchronized, &maximumError) == 0 else { return nil }
        return (synchronized != 0, Double(maximumError) / 1_000_000)
    }

    public func isExecutable(program: String) -> Bool {
        if program.contains("/") { return access(program, X_OK) == 0 }
        let path =
            ProcessInfo.processInfo.environment["PATH"]
            ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        return path.split(separator: ":").contains { access("\($0)/\(program)", X_OK) == 0 }
    }

    public func fileMode(_ path: String) -> UInt32? {
        var info = stat()
        return stat(path, &info) == 0 ? UInt32(info.st_mode) : nil
    }

    public func freeBytes(at path: String) -> Int64? {
        var candidate = path
        while true {
            var info = statvfs()
            if statvfs(candidate, &info) == 0 { return Int64(info.f_bavail) * Int64(info.f_frsize) }
            guard errno == ENOENT || errno == ENOTDIR, candidate != "/" else { return nil }
            candidate = (candidate as NSString).deletingLastPathComponent
            if candidate.isEmpty { candidate = "/" }
        }
    }

    public func mount(containing path: String) -> MountPoint? {
        MountPoint.containing(path)
    }
}

/// An IPv4 or IPv6 socket address parsed from text.
struct SocketAddress {
    var storage: sockaddr_storage
    let family: Int32
    let length: socklen_t

    init?(host: String, port: Int) {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var storage = sockaddr_storage()
        let family = withUnsafeMutablePointer(to: &storage) { pointer -> Int32? in
            let v4 = UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: sockaddr_in.self)
            if inet_pton(AF_INET, bare, &v4.pointee.sin_addr) == 1 {
                v4.pointee.sin_family = sa_family_t(AF_INET)
                v4.pointee.sin_port = in_port_t(UInt16(port).bigEndian)
                return AF_INET
            }
            let v6 = UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: sockaddr_in6.self)
            if inet_pton(AF_INET6, bare, &v6.pointee.sin6_addr) == 1 {
                v6.pointee.sin6_family = sa_family_t(AF_INET6)
                v6.pointee.sin6_port = in_port_t(UInt16(port).bigEndian)
                return AF_INET6
            }
            return nil
        }
        guard let family else { return nil }
        self.storage = storage
        self.family = family
        length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
    }

    mutating func withPointer<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        let length = length
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}
