import Logging
import UnderstudyAccounts
import UnderstudyControl
import UnderstudyCore
import UnderstudyFailover
import UnderstudyPeers
import UnderstudyProof
import UnderstudyState

/// The follower reads the links' state from the failover part's heartbeats.
extension FailoverService: LinkViewSource {}

/// The serving side runs a switchover its peer asked for through the control commands, as if asked here.
extension ControlCommands: SwitchoverDesk {
    package func runSwitchover(askedByPeer request: ControlRequest) async -> ControlResponse {
        await handleSwitchover(request, forwarded: true)
    }
}

/// The node's users and tokens as the peer sessions exchange them (Peers' `UsersExchange`), logging what a peer
/// changed.
struct UsersSeam: UsersExchange {
    let store: AccountStore
    let logger: Logger

    func offer() -> (revision: UInt64, document: [UInt8]) {
        let (revision, bytes) = store.document()
        return (revision, bytes)
    }

    func take(_ document: [UInt8], from peer: String) -> Bool {
        do {
            guard try store.adopt(document: document) else { return false }
            logger.notice(
                "users and tokens: took revision \(store.current.revision) from \(peer) (\(store.current.users.count) users, \(store.current.tokens.count) tokens)"
            )
            return true
        } catch {
            logger.warning("users and tokens: \(peer) offered a document that is not one: \(error)")
            return false
        }
    }
}

/// The tracked configuration as the peer sessions exchange it (Peers' `ConfigExchange`), kept in the state database.
struct ConfigCopiesSeam: ConfigExchange {
    let database: StateDatabase
    let logger: Logger

    func versions(
        group: String, after sequence: Int, byteLimit: Int
    ) throws -> (history: String?, versions: [ConfigVersion], highest: Int) {
        let answer = try database.configVersions(group: group, after: sequence, byteLimit: byteLimit)
        return (try database.configHistoryID(group: group), answer.versions, answer.highest)
    }

    func copy(group: String) throws -> (history: String?, last: Int) {
        (try database.configHistoryID(group: group), try database.lastConfigSequence(group: group))
    }

    func take(
        _ versions: [ConfigVersion], group: String, history: String, replacing: Bool, from peer: String
    ) throws -> Int {
        if replacing {
            logger.notice(
                "group \(group): \(peer)'s configuration history began again (its state was made anew); this node's copy is replaced by it"
            )
        }
        return try database.takeConfigVersions(versions, group: group, history: history, replacing: replacing)
    }
}
