import Foundation
import UnderstudyAccounts
import UnderstudyCore
import UnderstudyReplication
import UnderstudyState

/// Users and tokens (`understudy user ...`, `understudy token ...`, the API's `/api/v1/users` and `/tokens`), and
/// the event that records every request that changes something, with who asked.
extension ControlCommands {
    func handleAccounts(_ request: ControlRequest, from who: RequestOrigin) -> ControlResponse {
        guard let accounts else {
            return .refused("node \(node.name) keeps no console users", code: "no-accounts")
        }
        do {
            switch request {
            case .users:
                return .users(accounts.users())
            case .userAdd(let name, let role, let password):
                return .users(try accounts.addUser(name, role: role, password: password))
            case .userPassword(let name, let password):
                return .users(try accounts.setPassword(of: name, to: password))
            case .userRemove(let name):
                return .users(try accounts.removeUser(name))
            case .tokens:
                return .tokens(accounts.tokens())
            case .tokenCreate(let name, let role, let expiresIn):
                let (token, secret) = try accounts.createToken(name, role: role, expiresIn: expiresIn, by: who.name)
                return .tokenCreated(token, secret: secret)
            case .tokenRevoke(let id):
                return .tokens(try accounts.revokeToken(id))
            case .maintenance(let group, let on):
                guard node.configuration.groups[group] != nil, syncRequests[group] != nil else {
                    return .refused("node \(node.name) has no group '\(group)'", code: "unknown-share")
                }
                let before = accounts.current.maintenance(of: group)
                try accounts.setMaintenance(of: group, on: on, by: who.name)
                if on {
                    let hold = accounts.current.maintenance(of: group)
                    return .done(
                        before != nil
                            ? "group \(group) was in maintenance already (since \(hold.map { "\($0.since)" } ?? "?"), by \(hold?.by ?? "?")); automatic failover stays held"
                            : "group \(group) is in maintenance: automatic failover is held on every node until `understudy maintenance \(group) off` (a failure is reported; `understudy failover \(group)` still takes over)"
                    )
                }
                return .done(
                    before == nil
                        ? "group \(group) was not in maintenance"
                        : "maintenance of group \(group) is over: automatic failover is back")
            default:
                return .refused("not a user or token command")
            }
        } catch {
            return .failure(error)
        }
    }

    /// An `action` event: what was asked, by whom, and how it ended. Secrets (passwords, a new token's secret) are
    /// never part of it.
    func record(_ request: ControlRequest, _ response: ControlResponse, from who: RequestOrigin) {
        let outcome = response.ok ? (response.message ?? "done") : "refused: \(response.error ?? "no reason given")"
        let message = "\(Self.describe(request)) asked by \(who.name): \(outcome)"
        do {
            try node.database.appendEvent(
                EventRecord(
                    time: node.clock.wallTime(), level: response.ok ? "info" : "warning",
                    kind: EventKind.action.rawValue, share: nil, message: message, user: who.name))
        } catch {
            node.logger.warning("could not record event action: \(error)")
        }
        // The CLI shows its answer to the one who asked; what came over the network is logged too.
        if who != .controlSocket { node.logger.notice("\(message)") }
    }

    static func describe(_ request: ControlRequest) -> String {
        switch request {
        case .sync(let group): group.map { "sync of group \($0)" } ?? "sync"
        case .failover(let group, let force): "failover of group \(group)\(force ? " (forced)" : "")"
        case .switchover(let group, let force, _): "switchover of group \(group)\(force ? " (forced)" : "")"
        case .failback(let group, let force, _): "failback of group \(group)\(force ? " (forced)" : "")"
        case .archiveNow(let group, let share, _):
            "archive of \([group, share].compactMap { $0 }.joined(separator: "/"))"
        case .archiveRemove(_, _, let archive): "removal of archive \(archive)"
        case .restore(let path, _, _, _, _, _): "restore of \(path)"
        case .conflictResolve(let path, let keep): "resolution of the conflict at \(path) (keep \(keep.rawValue))"
        case .adopt(let share, let mode): "adoption of \(share) (\(mode.rawValue))"
        case .userAdd(let name, let role, _): "new user \(name) (\(role))"
        case .userPassword(let name, _): "new password of user \(name)"
        case .userRemove(let name): "removal of user \(name)"
        case .tokenCreate(let name, let role, _): "new token \(name) (\(role))"
        case .tokenRevoke(let id): "revocation of token \(id)"
        case .maintenance(let group, let on): "maintenance of group \(group) \(on ? "on" : "off")"
        case .reload: "reload of the configuration"
        default: request.command.rawValue
        }
    }
}
