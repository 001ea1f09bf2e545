import Foundation
import UnderstudyCore
import UnderstudyProof
import UnderstudyState
import UnderstudySupport

/// The tracked configuration: its history and differences (read from this node's copy, on any node of the group)
/// and rollbacks (on the group's primary, which tracks it).
extension ControlCommands {
    func handleConfig(_ request: ControlRequest) async -> ControlResponse {
        do {
            return try await onThread { () throws -> ControlResponse in try self.answerConfig(request) }
        } catch {
            return .failure(error)
        }
    }

    private func answerConfig(_ request: ControlRequest) throws -> ControlResponse {
        switch request {
        case .configHistory(let group, let path, let limit):
            try tracks(group)
            let versions = try node.database.configHistory(group: group, path: path, limit: limit)
            if versions.isEmpty, let path {
                throw ConfigError(
                    .unknownVersion,
                    "group \(group) keeps no version of \(path) on \(node.name): see `understudy config history \(group)` for the files it tracks"
                )
            }
            return .configVersions(versions)
        case .configDiff(let group, let path, let from, let to):
            try tracks(group)
            let history = try node.database.configHistory(
                group: group, path: path, limit: StateDatabase.configVersionsKept)
            guard let newest = history.first?.version else {
                throw ConfigError(.unknownVersion, "group \(group) keeps no version of \(path) on \(node.name)")
            }
            let newer = to ?? newest
            guard let older = from ?? history.map(\.version).first(where: { $0 < newer }) else {
                return .done(
                    "\(path) has one version kept (version \(newer)): nothing to compare it with yet; `understudy config history \(group) \(path)` lists it"
                )
            }
            guard let new = try node.database.configVersion(group: group, path: path, version: newer) else {
                throw ConfigError(.unknownVersion, "group \(group) keeps no version \(newer) of \(path)")
            }
            guard let old = try node.database.configVersion(group: group, path: path, version: older) else {
                throw ConfigError(.unknownVersion, "group \(group) keeps no version \(older) of \(path)")
            }
            let diff = LineDiff.unified(
                old: old.content, new: new.content, oldLabel: "\(path) (version \(older))",
                newLabel: "\(path) (version \(newer))")
            return .done(diff.isEmpty ? "versions \(older) and \(newer) of \(path) are the same" : diff)
        case .configRollback(let group, let path, let version):
            guard let tracker else {
                throw ConfigError(.notTracker, "node \(node.name) tracks no group's configuration")
            }
            let recorded = try tracker.rollback(group: group, path: path, to: version)
            return .done(
                "\(path) of group \(group) is version \(version) again, recorded as version \(recorded.version); the standby takes it at its next look"
            )
        default:
            return .refused("not a configuration request")
        }
    }

    /// Refuses a group that does not exist or tracks no files.
    private func tracks(_ name: String) throws {
        guard let group = node.currentGroup(name) else {
            throw ConfigError(.unknownGroup, "no group '\(name)' in the configuration")
        }
        guard [group.primary, group.standby, group.offsite].contains(node.name) else {
            throw ConfigError(
                .unknownGroup,
                "node \(node.name) is not a node of group \(name), so it keeps no copy of its configuration: ask \(group.primary) (--node)"
            )
        }
        guard !group.proof.configFiles.isEmpty else {
            throw ConfigError(
                .unknownVersion,
                "group \(name) tracks no configuration files: set config_files (or a recipe) in [groups.\(name)]")
        }
    }
}
