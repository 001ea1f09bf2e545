/// The wire form of `ControlRequest`: one flat JSON object, `version` and `command` first.
extension ControlRequest: Codable {
    private enum Key: String, CodingKey {
        case version, command, group, force, share, path, archive, schedule, at, to, inPlace, dryRun, keep, name, role,
            password, expiresIn, id, on, limit, fromVersion, toVersion, version_ = "versionNumber"
    }

    public init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: Key.self)
        let version: Int
        do {
            version = try fields.decodeIfPresent(Int.self, forKey: .version) ?? Self.version
        } catch {
            throw ControlRequestError(.badRequest, "'version' must be the API's version number, \(Self.version)")
        }
        guard version >= 1 else {
            throw ControlRequestError(
                .badRequest, "'version' must be the API's version number, \(Self.version), not \(version)")
        }
        guard version <= Self.version else {
            throw ControlRequestError(
                .unsupportedVersion,
                "this daemon speaks control API version \(Self.version), the request is version \(version): is the command line newer than the daemon? Restart the daemon with the new binary"
            )
        }
        let name = try fields.decodeIfPresent(String.self, forKey: .command) ?? ""
        guard let command = Command(rawValue: name) else {
            throw ControlRequestError(
                .badRequest,
                "unknown command \(String(reflecting: name)); expected one of: \(Command.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        func text(_ key: Key) throws -> String? {
            try fields.decodeIfPresent(String.self, forKey: key).flatMap { $0.isEmpty ? nil : $0 }
        }
        func flag(_ key: Key) throws -> Bool { try fields.decodeIfPresent(Bool.self, forKey: key) ?? false }
        func needed(_ key: Key, _ what: String) throws -> String {
            guard let value = try text(key) else { throw ControlRequestError(.badRequest, what) }
            return value
        }
        switch command {
        case .status:
            self = .status
        case .sync:
            self = .sync(group: try text(.group))
        case .failover:
            self = .failover(
                group: try needed(.group, "failover needs a group: understudy failover GROUP"), force: try flag(.force))
        case .archives:
            self = .archives(group: try text(.group), share: try text(.share))
        case .archiveNow:
            self = .archiveNow(group: try text(.group), share: try text(.share), schedule: try text(.schedule))
        case .archiveRemove:
            self = .archiveRemove(
                group: try text(.group), share: try text(.share),
                archive: try needed(.archive, "name the archive to remove: understudy archive remove GROUP/SHARE ID"))
        case .history:
            self = .history(path: try needed(.path, "history needs a path: understudy history PATH"))
        case .restore:
            self = .restore(
                path: try needed(.path, "restore needs a path: understudy restore PATH --at TIME|--archive ID"),
                archive: try text(.archive), at: try fields.decodeIfPresent(Double.self, forKey: .at),
                to: try text(.to), inPlace: try flag(.inPlace), overwrite: try flag(.force))
        case .switchover, .failback:
            let verb = command.rawValue
            let group = try needed(.group, "\(verb) needs a group: understudy \(verb) GROUP")
            self =
                command == .switchover
                ? .switchover(group: group, force: try flag(.force), dryRun: try flag(.dryRun))
                : .failback(group: group, force: try flag(.force), dryRun: try flag(.dryRun))
        case .conflicts:
            self = .conflicts(group: try text(.group))
        case .conflictResolve:
            let usage =
                "conflict-resolve needs a path (GROUP/SHARE/path) and --keep local|remote|both: understudy conflicts resolve GROUP/SHARE/PATH --keep local|remote|both"
            guard let path = try text(.path), let keep = try text(.keep).flatMap(ConflictKeep.init(rawValue:)) else {
                throw ControlRequestError(.badRequest, usage)
            }
            self = .conflictResolve(path: path, keep: keep)
        case .adopt:
            let share = try needed(.path, "adopt needs GROUP/SHARE: understudy adopt GROUP/SHARE --keep|--move-aside")
            guard let mode = try text(.keep).flatMap(AdoptMode.init(rawValue:)) else {
                throw ControlRequestError(
                    .badRequest,
                    "say what to do with what the replica holds: --keep (mirror over it: files the source lacks are deleted) or --move-aside (move it to a sibling directory first)"
                )
            }
            self = .adopt(share: share, mode: mode)
        case .users:
            self = .users
        case .tokens:
            self = .tokens
        case .userAdd:
            let name = try needed(.name, "user-add needs a name: understudy user add NAME --role ROLE")
            self = .userAdd(
                name: name, role: try Self.role(fields, "user add \(name)"),
                password: try needed(.password, "user-add needs a password"))
        case .userPassword:
            self = .userPassword(
                name: try needed(.name, "user-passwd needs a name: understudy user passwd NAME"),
                password: try needed(.password, "user-passwd needs a password"))
        case .userRemove:
            self = .userRemove(name: try needed(.name, "user-remove needs a name: understudy user remove NAME"))
        case .tokenCreate:
            let name = try needed(.name, "token-create needs a name: understudy token create NAME --role ROLE")
            let expiresIn = try fields.decodeIfPresent(Double.self, forKey: .expiresIn)
            if let expiresIn, !(expiresIn > 0 && expiresIn.isFinite) {
                throw ControlRequestError(
                    .badRequest, "a token's expiry must be a positive number of seconds, not \(expiresIn)")
            }
            self = .tokenCreate(name: name, role: try Self.role(fields, "token create \(name)"), expiresIn: expiresIn)
        case .tokenRevoke:
            self = .tokenRevoke(id: try needed(.id, "token-revoke needs the token's id: understudy token revoke ID"))
        case .maintenance:
            let group = try needed(.group, "maintenance needs a group: understudy maintenance GROUP on|off")
            guard let on = try fields.decodeIfPresent(Bool.self, forKey: .on) else {
                throw ControlRequestError(.badRequest, "say on or off: understudy maintenance \(group) on|off")
            }
            self = .maintenance(group: group, on: on)
        case .reload:
            self = .reload
        case .verify:
            self = .verify(group: try needed(.group, "verify needs a group: understudy verify GROUP"))
        case .proofs:
            let limit: Int
            do {
                limit = try fields.decodeIfPresent(Int.self, forKey: .limit) ?? 20
            } catch {
                throw ControlRequestError(.badRequest, "'limit' must be a whole number from 1 to 200")
            }
            guard (1...200).contains(limit) else {
                throw ControlRequestError(.badRequest, "'limit' must be a whole number from 1 to 200, not \(limit)")
            }
            self = .proofs(group: try text(.group), limit: limit)
        case .configHistory:
            let group = try needed(.group, "config-history needs a group: understudy config history GROUP [FILE]")
            let limit = try Self.number(fields, .limit, "'limit'", in: 1...1000) ?? 50
            self = .configHistory(group: group, path: try text(.path), limit: limit)
        case .configDiff:
            let usage = "config-diff needs a group and a file: understudy config diff GROUP FILE [--from N] [--to M]"
            self = .configDiff(
                group: try needed(.group, usage), path: try needed(.path, usage),
                from: try Self.number(fields, .fromVersion, "'fromVersion'", in: 1...Int(Int32.max)),
                to: try Self.number(fields, .toVersion, "'toVersion'", in: 1...Int(Int32.max)))
        case .configRollback:
            let usage =
                "config-rollback needs a group, a file and a version: understudy config rollback GROUP FILE --to N"
            let group = try needed(.group, usage)
            let path = try needed(.path, usage)
            guard let version = try Self.number(fields, .version_, "'versionNumber'", in: 1...Int(Int32.max)) else {
                throw ControlRequestError(.badRequest, usage)
            }
            self = .configRollback(group: group, path: path, version: version)
        }
    }

    /// An optional whole number in `range`; a clear refusal when it is something else.
    private static func number(
        _ fields: KeyedDecodingContainer<Key>, _ key: Key, _ name: String, in range: ClosedRange<Int>
    ) throws -> Int? {
        let value: Int?
        do {
            value = try fields.decodeIfPresent(Int.self, forKey: key)
        } catch {
            throw ControlRequestError(
                .badRequest, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        if let value, !range.contains(value) {
            throw ControlRequestError(
                .badRequest,
                "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not \(value)")
        }
        return value
    }

    private static func role(_ fields: KeyedDecodingContainer<Key>, _ usage: String) throws -> ConsoleRole {
        let text = try fields.decodeIfPresent(String.self, forKey: .role) ?? ""
        guard let role = ConsoleRole(rawValue: text) else {
            throw ControlRequestError(
                .badRequest,
                "\(text.isEmpty ? "a role is needed" : "unknown role \(String(reflecting: text))"): understudy \(usage) --role \(ConsoleRole.names)"
            )
        }
        return role
    }

    public func encode(to encoder: any Encoder) throws {
        var fields = encoder.container(keyedBy: Key.self)
        try fields.encode(Self.version, forKey: .version)
        try fields.encode(command, forKey: .command)
        switch self {
        case .status, .reload:
            break
        case .sync(let group), .conflicts(let group):
            try fields.encodeIfPresent(group, forKey: .group)
        case .failover(let group, let force):
            try fields.encode(group, forKey: .group)
            try fields.encode(force, forKey: .force)
        case .archives(let group, let share):
            try fields.encodeIfPresent(group, forKey: .group)
            try fields.encodeIfPresent(share, forKey: .share)
        case .archiveNow(let group, let share, let schedule):
            try fields.encodeIfPresent(group, forKey: .group)
            try fields.encodeIfPresent(share, forKey: .share)
            try fields.encodeIfPresent(schedule, forKey: .schedule)
        case .archiveRemove(let group, let share, let archive):
            try fields.encodeIfPresent(group, forKey: .group)
            try fields.encodeIfPresent(share, forKey: .share)
            try fields.encode(archive, forKey: .archive)
        case .history(let path):
            try fields.encode(path, forKey: .path)
        case .restore(let path, let archive, let at, let to, let inPlace, let overwrite):
            try fields.encode(path, forKey: .path)
            try fields.encodeIfPresent(archive, forKey: .archive)
            try fields.encodeIfPresent(at, forKey: .at)
            try fields.encodeIfPresent(to, forKey: .to)
            try fields.encode(inPlace, forKey: .inPlace)
            try fields.encode(overwrite, forKey: .force)
        case .switchover(let group, let force, let dryRun), .failback(let group, let force, let dryRun):
            try fields.encode(group, forKey: .group)
            try fields.encode(force, forKey: .force)
            try fields.encode(dryRun, forKey: .dryRun)
        case .conflictResolve(let path, let keep):
            try fields.encode(path, forKey: .path)
            try fields.encode(keep.rawValue, forKey: .keep)
        case .adopt(let share, let mode):
            try fields.encode(share, forKey: .path)
            try fields.encode(mode.rawValue, forKey: .keep)
        case .users, .tokens:
            break
        case .userAdd(let name, let role, let password):
            try fields.encode(name, forKey: .name)
            try fields.encode(role, forKey: .role)
            try fields.encode(password, forKey: .password)
        case .userPassword(let name, let password):
            try fields.encode(name, forKey: .name)
            try fields.encode(password, forKey: .password)
        case .userRemove(let name):
            try fields.encode(name, forKey: .name)
        case .tokenCreate(let name, let role, let expiresIn):
            try fields.encode(name, forKey: .name)
            try fields.encode(role, forKey: .role)
            try fields.encodeIfPresent(expiresIn, forKey: .expiresIn)
        case .tokenRevoke(let id):
            try fields.encode(id, forKey: .id)
        case .maintenance(let group, let on):
            try fields.encode(group, forKey: .group)
            try fields.encode(on, forKey: .on)
        case .verify(let group):
            try fields.encode(group, forKey: .group)
        case .proofs(let group, let limit):
            try fields.encodeIfPresent(group, forKey: .group)
            try fields.encode(limit, forKey: .limit)
        case .configHistory(let group, let path, let limit):
            try fields.encode(group, forKey: .group)
            try fields.encodeIfPresent(path, forKey: .path)
            try fields.encode(limit, forKey: .limit)
        case .configDiff(let group, let path, let from, let to):
            try fields.encode(group, forKey: .group)
            try fields.encode(path, forKey: .path)
            try fields.encodeIfPresent(from, forKey: .fromVersion)
            try fields.encodeIfPresent(to, forKey: .toVersion)
        case .configRollback(let group, let path, let version):
            try fields.encode(group, forKey: .group)
            try fields.encode(path, forKey: .path)
            try fields.encode(version, forKey: .version_)
        }
    }
}
