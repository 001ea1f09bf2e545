/// The wire form of `ControlRequest`: one flat JSON object, `version` and `command` first.
extension ControlRequest: Codable {
    private enum Key: String, CodingKey {
        case version, command, group, force, share, path, archive, schedule, at, to, inPlace, dryRun, keep
    }

    public init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: Key.self)
        let version = try fields.decodeIfPresent(Int.self, forKey: .version) ?? Self.version
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
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var fields = encoder.container(keyedBy: Key.self)
        try fields.encode(Self.version, forKey: .version)
        try fields.encode(command, forKey: .command)
        switch self {
        case .status:
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
        }
    }
}
