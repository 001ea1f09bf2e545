import Foundation
import Logging
import UnderstudyCore
import UnderstudyState
import UnderstudySupport

/// The primary's tracked configuration files as a node that is not the primary puts them in place: the newest
/// version of each, with the node's substitutions made (`config_substitutions`). A takeover writes them over the
/// node's own files (keeping those in the state directory first); a proof layers them in its private namespace.
package struct ConfigInstaller: Sendable {
    package struct File: Sendable, Equatable {
        package var path: String
        package var version: Int
        package var content: [UInt8]
    }

    let node: String
    let group: GroupConfiguration
    let database: StateDatabase

    package init(node: String, group: GroupConfiguration, database: StateDatabase) {
        self.node = node
        self.group = group
        self.database = database
    }

    /// Whether this node puts the primary's files in place: it is not the primary, and the group tracks files.
    package var applies: Bool { node != group.primary && !group.proof.configFiles.isEmpty }

    /// The files to put in place (a file that was gone on the primary is left out: this node's own stays).
    package func files() throws -> [File] {
        let substitutions = group.proof.substitutions[node] ?? []
        return try database.latestConfigVersions(group: group.name).compactMap { version in
            // Only what the group lists, whatever the copy holds.
            guard let content = version.content, group.proof.tracks(version.path) else { return nil }
            return File(
                path: version.path, version: version.version,
                content: ConfigSubstitution.apply(substitutions, to: content))
        }
    }

    /// Writes each file in place (atomically, with the mode and owner of the file it replaces, 0600 root otherwise),
    /// keeping the replaced one under `<state directory>/config-before-takeover/GROUP/STAMP/`; the lines for the
    /// takeover's report, each with whether it went well.
    package func install(at time: Date, logger: Logger) -> [(line: String, ok: Bool)] {
        let files: [File]
        do { files = try self.files() } catch {
            return [("the primary's configuration files: cannot read this node's copy: \(error)", false)]
        }
        guard !files.isEmpty else {
            return [("the primary's configuration files: none mirrored yet, this node's own stay", true)]
        }
        let keep =
            (database.path as NSString).deletingLastPathComponent + "/config-before-takeover/\(group.name)/"
            + PointInTime.compact(time.timeIntervalSince1970)
        var lines: [(line: String, ok: Bool)] = []
        var unchanged = 0
        for file in files {
            do {
                if try Self.place(file, keepingIn: keep) {
                    lines.append(("put the primary's \(file.path) (version \(file.version)) in place", true))
                    logger.notice(
                        "group \(group.name): put the primary's \(file.path) (version \(file.version)) in place")
                } else {
                    unchanged += 1
                }
            } catch {
                lines.append(("putting the primary's \(file.path) in place failed: \(error)", false))
                logger.error("group \(group.name): cannot put the primary's \(file.path) in place: \(error)")
            }
        }
        if unchanged > 0 { lines.append(("\(unchanged) configuration file(s) already as the primary's", true)) }
        if lines.contains(where: { $0.line.hasPrefix("put ") }) {
            lines.append(("the replaced files are kept in \(keep)", true))
        }
        return lines
    }

    /// Writes `file` unless the path already holds its content; returns whether it wrote. Its directory must exist
    /// (a node without it lacks the service's package); the file is written by `SystemFileWriter` (a new one 0600).
    static func place(_ file: File, keepingIn keep: String) throws -> Bool {
        let directory = (file.path as NSString).deletingLastPathComponent
        var info = stat()
        guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw SystemFileWriter.Failure(
                description: "this node has no directory \(directory): is the service's package installed here?")
        }
        let current = try SystemFileWriter.read(file.path, limit: ConfigVersion.maximumSize)
        if let current, current == file.content { return false }
        if let current {
            let kept = keep + file.path
            try FileManager.default.createDirectory(
                atPath: (kept as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            try Data(current).write(to: URL(fileURLWithPath: kept))
        }
        try SystemFileWriter.write(file.content, to: file.path)
        return true
    }
}
