import Crypto
import UnderstudyCore
import UnderstudyWire

/// Seals heartbeats with HMAC-SHA256 under the cluster key and opens them again: a datagram from anyone
/// without the key, or altered on the way, is refused before a single field of it is believed.
struct HeartbeatAuthenticator: Sendable {
    static let tagSize = 32
    private let keyBytes: [UInt8]

    init(key: [UInt8]) {
        keyBytes = key
    }

    /// Made per use: `SymmetricKey` is not Sendable, and making one from 32 bytes costs nothing.
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    func seal(_ message: HeartbeatMessage) -> [UInt8] {
        let body = message.encoded()
        return body + Array(HMAC<SHA256>.authenticationCode(for: body, using: key))
    }

    enum Refusal: Error, Equatable, CustomStringConvertible {
        case tooShort(Int)
        case tooLong(Int)
        case badAuthenticator
        case malformed(String)

        /// The reason without its details (a datagram's length), for grouping refusals in the log.
        var kind: String {
            switch self {
            case .tooShort: "too-short"
            case .tooLong: "too-long"
            case .badAuthenticator: "bad-authenticator"
            case .malformed: "malformed"
            }
        }

        var description: String {
            switch self {
            case .tooShort(let count): "a \(count)-byte datagram is too short to be a heartbeat"
            case .tooLong(let count): "a \(count)-byte datagram is too long to be a heartbeat"
            case .badAuthenticator:
                "its authenticator does not match the cluster key (another cluster, a stale cluster.key, or forged)"
            case .malformed(let message): message
            }
        }
    }

    func open(_ datagram: [UInt8]) throws(Refusal) -> HeartbeatMessage {
        guard datagram.count > Self.tagSize + 8 else { throw .tooShort(datagram.count) }
        guard datagram.count <= HeartbeatMessage.maximumSize + Self.tagSize else { throw .tooLong(datagram.count) }
        let body = datagram[..<(datagram.count - Self.tagSize)]
        let tag = datagram[(datagram.count - Self.tagSize)...]
        guard HMAC<SHA256>.isValidAuthenticationCode(tag, authenticating: body, using: key) else {
            throw .badAuthenticator
        }
        do throws(WireError) {
            return try HeartbeatMessage.decode(Array(body))
        } catch {
            throw .malformed(error.message)
        }
    }
}
