#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import NIOConcurrencyHelpers
import ServiceLifecycle
import UnderstudyCore
import UnderstudyReplication
import UnderstudyState
import UnderstudySupport

/// Versions the configuration files (`config_files`) of each group whose primary is this node: every few seconds
/// it looks at each file (a listed directory stands for the regular files directly in it) and records a version
/// when its content changed, whoever changed it, or when it went. `understudy config rollback` writes an older
/// version back, which is itself recorded as a new one. The group's other nodes ask for the versions
/// (`ConfigFollowService`, in Peers).
public final class ConfigTracker: Service, Sendable {
    let node: any ProofNode
    /// How often the files are looked at, in seconds.
    let every: Double
    /// What each file looked like when last read: its stat (size, mtime, ctime, inode) and the digest recorded.
    private let seen = NIOLockedValueBox<[String: Seen]>([:])
    /// Files said to be too large or unreadable (said once until they change).
    private let told = NIOLockedValueBox<Set<String>>([])
    /// Scans and rollbacks, one at a time (a rollback's write is seen by the next scan as its own version).
    private let scanning = NIOLock()

    struct Seen: Equatable {
        var stat: [Int]
        var digest: String
    }

    package init(node: any ProofNode, every: Double = 2) {
        self.node = node
        self.every = every
    }

    /// The groups whose configuration this node tracks: it is their primary, and they list files.
    var tracked: [GroupConfiguration] {
        node.configuration.groups.keys.sorted().compactMap(node.currentGroup).filter {
            $0.primary == node.name && !$0.proof.configFiles.isEmpty
        }
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                _ = try? await onThread { self.scanAll() }
                try? await self.node.clock.sleep(seconds: self.every)
            }
        }
    }

    /// One look at every tracked group; returns the versions it recorded.
    @discardableResult
    func scanAll() -> [ConfigVersion] {
        tracked.flatMap { scan($0) }
    }

    /// One look at `group`'s files: a version for each that changed (or went) since its last.
    @discardableResult
    package func scan(_ group: GroupConfiguration) -> [ConfigVersion] {
        scanning.withLock {
            let latest: [String: ConfigVersion]
            do {
                latest = Dictionary(
                    try node.database.latestConfigVersions(group: group.name).map { ($0.path, $0) },
                    uniquingKeysWith: { $1 })
            } catch {
                node.logger.error("group \(group.name): cannot read its tracked configuration: \(error)")
                return []
            }
            var recorded: [ConfigVersion] = []
            let present = Self.files(of: group.proof.configFiles)
            // Files that went since their last version (still listed, or once in a listed directory).
            let paths = Set(present).union(
                latest.values.filter { $0.content != nil && group.proof.tracks($0.path) }.map(\.path))
            for path in paths.sorted() {
                if let version = look(at: path, group: group, last: latest[path]) { recorded.append(version) }
            }
            return recorded
        }
    }

    /// The regular files `listed` stands for: each file, and the regular files directly in each directory (hidden
    /// ones and editors' leftovers, `name~`, `.swp`, left out), sorted.
    static func files(of listed: [String]) -> [String] {
        var result: [String] = []
        for path in listed {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                result.append(path)
                continue
            }
            guard isDirectory.boolValue else {
                result.append(path)
                continue
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            for name in names.sorted()
            where !name.hasPrefix(".") && !name.hasSuffix("~") && !name.hasSuffix(".swp") {
                var inner: ObjCBool = false
                if FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &inner), !inner.boolValue {
                    result.append(path + "/" + name)
                }
            }
        }
        return Array(Set(result)).sorted()
    }

    /// Reads `path` when its stat changed since the last look; records a version when its content differs from
    /// `last`.
    private func look(at path: String, group: GroupConfiguration, last: ConfigVersion?) -> ConfigVersion? {
        let key = group.name + "\u{0}" + path
        var info = stat()
        let exists = stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        let signature =
            exists
            ? [
                Int(info.st_size), info.st_mtim.tv_sec, info.st_mtim.tv_nsec, info.st_ctim.tv_sec,
                info.st_ctim.tv_nsec, Int(info.st_ino),
            ] : []
        if let known = seen.withLockedValue({ $0[key] }), known.stat == signature, known.digest == (last?.digest ?? "")
        {
            return nil
        }
        var content: [UInt8]?
        if exists {
            guard info.st_size <= ConfigVersion.maximumSize else {
                if told.withLockedValue({ $0.insert(key).inserted }) {
                    node.logger.warning(
                        "group \(group.name): \(path) is \(info.st_size) bytes, more than \(ConfigVersion.maximumSize): not tracked"
                    )
                }
                return nil
            }
            do {
                content = try SystemFileWriter.read(path, limit: ConfigVersion.maximumSize)
            } catch {
                if told.withLockedValue({ $0.insert(key).inserted }) {
                    node.logger.warning("group \(group.name): \(error): not tracked until it can be read")
                }
                return nil
            }
        }
        _ = told.withLockedValue { $0.remove(key) }
        let digest = content.map(Self.digest) ?? ""
        seen.withLockedValue { $0[key] = Seen(stat: signature, digest: digest) }
        guard digest != (last?.digest ?? ""), content != nil || last != nil else { return nil }
        do {
            let version = try node.database.recordConfigVersion(
                group: group.name, path: path, takenAt: node.clock.wallSeconds(), content: content, digest: digest)
            let what =
                content == nil
                ? "went" : last == nil ? "is tracked (\(content!.count) bytes)" : "changed (\(content!.count) bytes)"
            node.logger.notice("group \(group.name): \(path) \(what): version \(version.version)")
            node.event(.info, .configChanged, "group \(group.name): \(path) \(what): version \(version.version)")
            return version
        } catch {
            node.logger.error("group \(group.name): cannot record a version of \(path): \(error)")
            seen.withLockedValue { $0[key] = nil }
            return nil
        }
    }

    /// Writes version `version` of `path` back in place (atomically, keeping the file's mode and owner) and records
    /// it as a new version noted "rollback to N".
    package func rollback(group name: String, path: String, to version: Int) throws(ConfigError) -> ConfigVersion {
        guard let group = node.currentGroup(name) else { throw ConfigError(.unknownGroup, "no group '\(name)'") }
        guard group.primary == node.name else {
            throw ConfigError(
                .notTracker,
                "\(node.name) is not the primary of group \(name), which tracks its configuration: run the rollback on \(group.primary)"
            )
        }
        scanning.lock()
        defer { scanning.unlock() }
        do {
            let old: ConfigVersion?
            do { old = try node.database.configVersion(group: name, path: path, version: version) } catch {
                throw ConfigError(.stateFailed, "cannot read version \(version) of \(path): \(error)")
            }
            guard let old else {
                throw ConfigError(
                    .unknownVersion,
                    "group \(name) keeps no version \(version) of \(path): see `understudy config history \(name) \(path)`"
                )
            }
            guard let content = old.content else {
                throw ConfigError(
                    .unknownVersion,
                    "version \(version) of \(path) is its removal; a rollback writes a version that has content")
            }
            do {
                try SystemFileWriter.write(content, to: path)
            } catch {
                throw ConfigError(.writeFailed, "cannot write version \(version) back to \(path): \(error)")
            }
            let digest = Self.digest(content)
            do {
                let recorded = try node.database.recordConfigVersion(
                    group: name, path: path, takenAt: node.clock.wallSeconds(), content: content, digest: digest,
                    note: "rollback to \(version)")
                var info = stat()
                if stat(path, &info) == 0 {
                    let signature = [
                        Int(info.st_size), info.st_mtim.tv_sec, info.st_mtim.tv_nsec, info.st_ctim.tv_sec,
                        info.st_ctim.tv_nsec, Int(info.st_ino),
                    ]
                    seen.withLockedValue { $0[name + "\u{0}" + path] = Seen(stat: signature, digest: digest) }
                }
                node.logger.notice(
                    "group \(name): \(path) rolled back to version \(version): version \(recorded.version)")
                node.event(
                    .warning, .configChanged,
                    "group \(name): \(path) rolled back to version \(version): version \(recorded.version)")
                return recorded
            } catch {
                throw ConfigError(
                    .stateFailed, "wrote version \(version) back to \(path) but cannot record it: \(error)")
            }
        }
    }

    static func digest(_ content: [UInt8]) -> String {
        SHA256.hash(data: content).map { String(format: "%02x", $0) }.joined()
    }
}
