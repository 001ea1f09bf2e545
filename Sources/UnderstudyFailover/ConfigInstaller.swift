import Foundation
import Logging
import UnderstudyCore
import UnderstudyState

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

    /// Writes each file in place (atomically, with the mode and owner of the file it replaces, 0644 root otherwise),
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
            + Self.stamp(time)
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

    /// Writes `file` unless the path already holds its content; returns whether it wrote.
    static func place(_ file: File, keepingIn keep: String) throws -> Bool {
        let manager = FileManager.default
        let current = manager.contents(atPath: file.path)
        if let current, [UInt8](current) == file.content { return false }
        let directory = (file.path as NSString).deletingLastPathComponent
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var mode: mode_t = 0o644
        var owner: (uid_t, gid_t) = (0, 0)
        var info = stat()
        if stat(file.path, &info) == 0 {
            mode = info.st_mode & 0o7777
            owner = (info.st_uid, info.st_gid)
        }
        if let current {
            let kept = keep + file.path
            try manager.createDirectory(
                atPath: (kept as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try current.write(to: URL(fileURLWithPath: kept))
        }
        let temporary = directory + "/.\((file.path as NSString).lastPathComponent).understudy.tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        var written = 0
        while written < file.content.count {
            let count = file.content[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else {
                unlink(temporary)
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            written += count
        }
        guard fchmod(descriptor, mode) == 0, fchown(descriptor, owner.0, owner.1) == 0, fsync(descriptor) == 0,
            rename(temporary, file.path) == 0
        else {
            let error = POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            unlink(temporary)
            throw error
        }
        return true
    }

    static func stamp(_ time: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: time)
    }
}
