#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import NIOConcurrencyHelpers
import UnderstudyCore
import UnderstudySupport

/// `[notify.snmp]`: each event as an SNMPv2 trap to the manager (`SNMPTrap`), SNMPv2c with a community or SNMPv3
/// authenticated by HMAC-SHA (RFC 3414, RFC 7860) with the key localized to this node's engine ID. A trap is one UDP
/// datagram and is not acknowledged: a delivery is a datagram sent.
///
/// The engine's boot count is kept in the state directory and grows at each start; its time counts from the start,
/// so a manager that cached them sees both move forward (it drops a message that goes back in time).
public final class SNMPTrapSender: NotificationChannel {
    public let configuration: SNMPNotification
    let engineID: [UInt8]
    let engineBoots: Int32
    let startedAt: Double
    /// The localized authentication key (SNMPv3), derived once.
    let key: [UInt8]?
    private let counter = NIOLockedValueBox<Int32>(Int32.random(in: 1...1_000_000))

    public init(configuration: SNMPNotification, node: String, stateDirectory: String) throws {
        self.configuration = configuration
        engineID =
            configuration.engineID.isEmpty ? SNMPNotification.defaultEngineID(node: node) : configuration.engineID
        engineBoots = Self.nextBoots(stateDirectory: stateDirectory)
        startedAt = MonotonicClock.seconds()
        if case .user(_, let auth, let passwordFile) = configuration.security {
            let password = try Self.readPassword(passwordFile)
            key = Self.localizedKey(password: password, engineID: engineID, auth: auth)
        } else {
            key = nil
        }
    }

    public var name: String { "SNMP trap to \(configuration.target)" }

    public func deliver(_ message: NotificationMessage) async throws {
        let datagram = trap(for: message)
        let target = configuration.target
        try await onThread { try Self.send(datagram, to: target) }
    }

    /// The datagram that tells `message`.
    func trap(for message: NotificationMessage) -> [UInt8] {
        let id = counter.withLockedValue { value -> Int32 in
            value = value == Int32.max ? 1 : value + 1
            return value
        }
        let seconds = MonotonicClock.seconds() - startedAt
        let trap = SNMPTrap(
            event: message.event, upTime: UInt32(min(Double(UInt32.max), seconds * 100)), requestID: id,
            trapOID: configuration.trapOID, objectsOID: configuration.objectsOID,
            summary: message.repeatNote.map { "\(message.event.summary) \($0)" })
        switch configuration.security {
        case .community(let community):
            return trap.community(community)
        case .user(let user, let auth, _):
            let key = key ?? []
            return trap.userBased(
                user: user, engineID: engineID, engineBoots: engineBoots,
                engineTime: Int32(min(Double(Int32.max), seconds)),
                messageID: id, authLength: auth == .sha ? 12 : 24
            ) { bytes in
                switch auth {
                case .sha:
                    return Array(HMAC<Insecure.SHA1>.authenticationCode(for: bytes, using: SymmetricKey(data: key)))
                case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: bytes, using: SymmetricKey(data: key)))
                }
            }
        }
    }

    /// RFC 3414 A.2 (and RFC 7860 for SHA-256): the password stretched over 1 MiB and hashed, then localized as
    /// H(Ku ‖ engineID ‖ Ku).
    static func localizedKey(password: String, engineID: [UInt8], auth: SNMPNotification.AuthProtocol) -> [UInt8] {
        let passwordBytes = Array(password.utf8)
        var stretched = [UInt8]()
        stretched.reserveCapacity(1_048_576)
        while stretched.count < 1_048_576 {
            stretched.append(contentsOf: passwordBytes.prefix(1_048_576 - stretched.count))
        }
        switch auth {
        case .sha:
            let ku = Array(Insecure.SHA1.hash(data: stretched))
            return Array(Insecure.SHA1.hash(data: ku + engineID + ku))
        case .sha256:
            let ku = Array(SHA256.hash(data: stretched))
            return Array(SHA256.hash(data: ku + engineID + ku))
        }
    }

    static func readPassword(_ path: String) throws -> String {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SNMPTrapError("cannot read the SNMP auth_password_file \(path): \(error.localizedDescription)")
        }
        let password = text.trimmingCharacters(in: .newlines)
        guard password.utf8.count >= 8 else {
            throw SNMPTrapError(
                "the SNMP password in \(path) is \(password.utf8.count) characters; SNMPv3 needs at least 8")
        }
        return password
    }

    /// The boot count after the last one recorded in `<state_dir>/snmp-engine-boots`, recorded.
    static func nextBoots(stateDirectory: String) -> Int32 {
        let path = (stateDirectory.hasSuffix("/") ? stateDirectory : stateDirectory + "/") + "snmp-engine-boots"
        let last =
            (try? String(contentsOfFile: path, encoding: .utf8)).flatMap {
                Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
            } ?? 0
        let next = last >= Int32.max - 1 ? 1 : last + 1
        try? "\(next)\n".write(toFile: path, atomically: true, encoding: .utf8)
        return next
    }

    static func send(_ datagram: [UInt8], to target: PeerAddress) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(target.host, String(target.port), &hints, &result)
        guard status == 0, let first = result else {
            throw SNMPTrapError("cannot resolve \(target.host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(result) }
        let fd = socket(first.pointee.ai_family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SNMPTrapError("cannot open a UDP socket: \(errnoText(errno))") }
        defer { close(fd) }
        let sent = datagram.withUnsafeBytes {
            sendto(fd, $0.baseAddress, $0.count, 0, first.pointee.ai_addr, first.pointee.ai_addrlen)
        }
        guard sent == datagram.count else {
            throw SNMPTrapError("cannot send the trap to \(target): \(errnoText(errno))")
        }
    }
}

public struct SNMPTrapError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
