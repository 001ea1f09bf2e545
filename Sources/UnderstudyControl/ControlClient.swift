#if canImport(Glibc)
import Glibc
#endif
import Foundation
import UnderstudyCore

/// Talks to a running daemon over its control socket: one JSON request line, one JSON response line.
/// Blocking (the CLI and tests call it; the daemon never does).
public struct ControlClient: Sendable {
    public let socketPath: String

    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// Like `send`, but waits up to `seconds` for a daemon that is still starting: it tries again after 5 ms, then
    /// twice as long each time up to 100 ms, so a daemon that comes up at once is reached at once.
    public func send(_ request: ControlRequest, waitingUpTo seconds: Double) throws -> ControlResponse {
        let deadline = Date().addingTimeInterval(seconds)
        var pause: useconds_t = 5_000
        while true {
            do {
                return try send(request)
            } catch let error as ControlClientError where error.isUnreachable && Date() < deadline {
                usleep(pause)
                pause = min(pause * 2, 100_000)
            }
        }
    }

    public func send(_ request: ControlRequest) throws -> ControlResponse {
        try send(line: try JSONEncoder.control.encode(request))
    }

    /// Sends one line as it is (the daemon must cope with anything a local user can write to its socket).
    public func send(line: Data) throws -> ControlResponse {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ControlClientError("cannot create a socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw ControlClientError("control socket path is too long: \(socketPath)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            throw ControlClientError(
                unreachable:
                    "cannot reach the daemon at \(socketPath): \(String(cString: strerror(errno))); is `understudy run` running for this node?"
            )
        }
        var data = line
        data.append(UInt8(ascii: "\n"))
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                guard written > 0 else {
                    throw ControlClientError("writing to the daemon failed: \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !response.contains(UInt8(ascii: "\n")) {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            response.append(contentsOf: buffer[..<count])
        }
        guard let end = response.firstIndex(of: UInt8(ascii: "\n")) else {
            throw ControlClientError("the daemon closed the control connection without answering")
        }
        return try JSONDecoder.control.decode(ControlResponse.self, from: response[..<end])
    }
}

public struct ControlClientError: Error, CustomStringConvertible {
    public var description: String
    /// The daemon's control socket did not answer (not running, or still starting).
    public var isUnreachable = false

    init(_ description: String) { self.description = description }
    init(unreachable description: String) {
        self.description = description
        isUnreachable = true
    }
}
