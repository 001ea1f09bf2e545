#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Foundation
import UnderstudyCore
import UnderstudyFileSystem
import UnderstudyReplication
import UnderstudyState
import UnderstudySupport

/// `understudy history` and `understudy restore`.
extension ArchiveService {
    /// "GROUP/SHARE/path" or an absolute path inside one of this node's replicas → the share and the path in it.
    func resolve(_ text: String) throws -> (ShareContext, String) {
        var trimmed = text
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        if trimmed.hasPrefix("/") {
            for context in contexts {
                let replica =
                    context.share.replica.hasSuffix("/")
                    ? String(context.share.replica.dropLast()) : context.share.replica
                if trimmed == replica { return (context, "") }
                if trimmed.hasPrefix(replica + "/") {
                    let relative = String(trimmed.dropFirst(replica.count + 1))
                    try checkRelative(relative, text)
                    return (context, relative)
                }
            }
            throw ArchiveError(
                .unknownShare,
                "\(text) is not inside a replica of this node; its replicas: "
                    + contexts.map { "\($0.share.replica) (\($0.key))" }.joined(separator: ", "))
        }
        let parts = trimmed.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2 else {
            throw ArchiveError(
                .badRequest,
                "'\(text)' names no share: give GROUP/SHARE/path/in/share, or an absolute path inside a replica")
        }
        let context = try context(group: parts[0], share: parts[1])
        let relative = parts.count > 2 ? parts[2] : ""
        try checkRelative(relative, text)
        return (context, relative)
    }

    private func checkRelative(_ relative: String, _ text: String) throws {
        do throws(PathError) {
            try RelativePath.validate(relative)
        } catch {
            throw ArchiveError(.badRequest, "'\(text)': the path in the share \(error.reason)")
        }
    }

    package func history(path text: String) throws -> [HistoryVersion] {
        let (context, path) = try resolve(text)
        return try node.database.history(share: context.key, path: path, below: false).compactMap { record in
            guard record.stored != nil else { return nil }
            return HistoryVersion(
                id: record.id, group: context.groupName, share: context.shareName, path: record.path,
                since: record.since.map { Date(timeIntervalSince1970: $0) },
                until: Date(timeIntervalSince1970: record.until),
                reason: record.reason, size: record.size, modified: Date(timeIntervalSince1970: record.mtime),
                sha256: record.hash.map { $0.map { ArchiveStore.hex(UInt64($0), digits: 2) }.joined() })
        }
    }

    /// One file to restore: where it comes from (a directory of ours and a name in it) and its path in the share.
    struct RestoreItem {
        enum Source { case archive(String), history(String), replica }
        var path: String
        var source: Source
    }

    /// - Parameter overwrite: replace files that exist at the destination (`--to`), each first moved aside to
    ///   `NAME.understudy-replaced-TIME`; without it they are left as they are and counted.
    package func restore(
        path text: String, archive: String?, at: Double?, to: String?, inPlace: Bool, overwrite: Bool = false
    ) async throws -> RestoreReport {
        let (context, path) = try resolve(text)
        try await prepare(context)
        let store = try await openStore(context)
        if archive != nil && at != nil { throw ArchiveError(.badRequest, "give --archive or --at, not both") }
        guard archive != nil || at != nil else {
            throw ArchiveError(
                .badRequest,
                "say which version: --at TIME (like --at 2h, or --at 2026-11-22T10:00:00Z) or --archive ID; `understudy history \(text)` lists the kept versions and `understudy archives \(context.key)` the archives"
            )
        }
        if inPlace && to != nil { throw ArchiveError(.badRequest, "give --to or --in-place, not both") }
        if inPlace && !node.owns(group: context.groupName) {
            throw ArchiveError(
                .refused,
                "--in-place refused: this node's replica of \(context.key) follows \(context.group.primary), so the next sync would undo the restore. Restore with --to and copy the files to the primary, or restore in place on the node that serves the group"
            )
        }
        let now = clock()
        var notes: [String] = []
        var items: [RestoreItem] = []
        var sourceText: String
        var archiveID = archive
        if let at {
            let window = context.share.history.map { now - $0.seconds }
            let start = try node.database.historyStart(share: context.key, orNow: nil)
            if let window, let start, at >= max(window, start) {
                items = try versionsAt(at, context: context, path: path)
                sourceText = "history as of \(PointInTime.format(at))"
            } else {
                let candidates = try node.database.archives(share: context.key).filter {
                    $0.state == .complete && $0.takenAt.timeIntervalSince1970 <= at && Self.archive($0, holds: path)
                }
                guard let newest = candidates.last else {
                    let reach =
                        start.map {
                            "history of \(context.key) reaches back to \(PointInTime.format(max($0, window ?? $0)))"
                        }
                        ?? "history of \(context.key) is off"
                    throw ArchiveError(
                        .notFound,
                        "nothing reaches back to \(PointInTime.format(at)): the \(reach), and no archive holding '\(path.isEmpty ? "/" : path)' was taken at or before that time"
                    )
                }
                archiveID = newest.id
                notes.append(
                    "\(PointInTime.format(at)) is outside the history window; restored from the newest archive taken before it, \(newest.id) (\(PointInTime.format(newest.takenAt.timeIntervalSince1970)))"
                )
                sourceText = ""
            }
        } else {
            sourceText = ""
        }
        if let archiveID {
            guard let info = try node.database.archives(share: context.key).first(where: { $0.id == archiveID }) else {
                throw ArchiveError(
                    .unknownArchive,
                    "\(context.key) has no archive '\(archiveID)'; `understudy archives \(context.key)` lists them")
            }
            guard info.state == .complete else {
                throw ArchiveError(
                    .archiveBusy, "archive \(archiveID) is \(info.state.rawValue), not complete; choose another")
            }
            guard Self.archive(info, holds: path) else {
                throw ArchiveError(
                    .notFound, "archive \(archiveID) holds only \(info.paths.joined(separator: ", ")), not '\(path)'")
            }
            let archiveRoot = store.path + "/archives/" + archiveID
            items = try await onThread { try Self.files(below: path, root: archiveRoot) }.map {
                RestoreItem(path: $0, source: .archive(archiveID))
            }
            sourceText = "archive \(archiveID)"
        }
        if items.isEmpty {
            throw ArchiveError(
                .notFound, "'\(path.isEmpty ? "/" : path)' of \(context.key) has no file in \(sourceText)")
        }
        let destination: String
        if inPlace {
            destination = context.share.replica
        } else if let to {
            destination = try checkedDestination(to)
        } else {
            destination = store.path + "/restored/" + PointInTime.compact(now)
        }
        // Destination paths: in place, the share path itself; elsewhere, relative to the restored path's parent.
        let base = RelativePath.parent(path) ?? ""
        let keeper =
            inPlace
            ? (keeper(of: context) ?? HistoryKeeper(key: context.key, store: store, index: context.index, clock: clock))
            : nil
        let replica = context.share.replica
        let applyOwnership = node.identity.appliesOwnership
        let chosen = items
        let existing: CopyOutcome.Existing =
            inPlace ? .replaceKeepingInHistory : overwrite ? .replaceMovingAside(at: now) : .leave
        let work: @Sendable () throws -> CopyOutcome = {
            try Self.copy(
                chosen, base: inPlace ? "" : base, destination: destination, store: store, replica: replica,
                keeper: keeper, existing: existing, applyOwnership: applyOwnership)
        }
        let outcome =
            inPlace
            ? try await context.replicaGate.withExclusiveAccess { try await onThread(work) }
            : try await onThread(work)
        let (files, bytes, replaced) = (
            outcome.files, outcome.bytes, inPlace ? outcome.replaced : Int64(outcome.movedAside.count)
        )
        if !outcome.leftAlone.isEmpty {
            notes.append(
                "\(outcome.leftAlone.count) files exist at the destination and were left as they are (e.g. \(outcome.leftAlone.prefix(3).joined(separator: ", "))); add --overwrite to replace them, each moved aside first"
            )
        }
        if !outcome.movedAside.isEmpty {
            notes.append(
                "\(outcome.movedAside.count) existing files were moved aside before being replaced (e.g. \(outcome.movedAside.prefix(3).joined(separator: ", ")))"
            )
        }
        if let keeper {
            let kept = keeper.take()
            try node.database.insertHistory(
                kept.records.map { record in
                    var record = record
                    if record.reason == "replaced" { record.reason = "restored-over" }
                    return record
                })
        }
        node.logger.notice(
            "restored \(files) files of \(context.key)/\(path) from \(sourceText) into \(destination)\(inPlace ? " (in place; \(replaced) live files kept in the history)" : "")"
        )
        node.event(
            .info, .restored, "\(files) files of \(path.isEmpty ? "/" : path) from \(sourceText) into \(destination)",
            share: context.key)
        return RestoreReport(
            destination: destination, source: sourceText, files: files, bytes: bytes, replaced: replaced, notes: notes)
    }

    static func archive(_ info: ArchiveInfo, holds path: String) -> Bool {
        info.paths.isEmpty || info.paths.contains { RelativePath.isWithin(path, $0) || RelativePath.isWithin($0, path) }
    }

    /// The version of every file at or below `path` as it was at `time`: kept versions and the replica's current files.
    func versionsAt(_ time: Double, context: ShareContext, path: String) throws -> [RestoreItem] {
        let records = try node.database.history(share: context.key, path: path, below: true)
        var byPath: [String: [HistoryRecord]] = [:]
        for record in records { byPath[record.path, default: []].append(record) }
        let current = try Self.files(below: path, root: context.share.replica)
        let replica = try ShareDirectory(path: context.share.replica, create: false)
        var items: [RestoreItem] = []
        for file in Set(current).union(byPath.keys).sorted() {
            let kept = byPath[file] ?? []
            var versions = kept.filter { $0.stored != nil }.map {
                VersionTimeline.Version(id: $0.id, since: $0.since, until: $0.until)
            }
            if current.contains(file), let (dir, name) = try? replica.parent(of: file) {
                var seconds: Int64 = 0
                var nanoseconds = 0
                let born =
                    understudy_birth_time(dir, name, &seconds, &nanoseconds) == 0
                    ? Double(seconds) + Double(nanoseconds) / 1e9 : nil
                versions.append(VersionTimeline.Version(id: -1, since: born, until: nil))
            }
            let movedIn = kept.filter { $0.stored == nil }.map(\.until)
            guard let chosen = VersionTimeline.version(at: time, of: versions, movedIn: movedIn) else { continue }
            if chosen.id == -1 {
                items.append(RestoreItem(path: file, source: .replica))
            } else if let stored = kept.first(where: { $0.id == chosen.id })?.stored {
                items.append(RestoreItem(path: file, source: .history(stored)))
            }
        }
        return items
    }

    /// Regular files at or below `path` under `root` (paths relative to `root`), never through a symlink.
    static func files(below path: String, root: String) throws -> [String] {
        let directory = try ShareDirectory(path: root, create: false)
        let found: FileStatus?
        do {
            found = try directory.status(path)
        } catch {
            let code = error.errnoValue
            guard code == ENOENT || code == ENOTDIR else { throw error }
            found = nil
        }
        guard let status = found else { return [] }
        switch status.kind {
        case .file: return [path]
        case .directory:
            var result: [String] = []
            var pending = [path]
            while let next = pending.popLast() {
                let fd = try directory.openDirectory(next)
                defer { close(fd) }
                for entry in DirectoryEntry.read(fd) ?? [] where !entry.hasReservedPrefix {
                    let child = RelativePath.join(next, entry.displayName)
                    switch entry.resolvedKind(in: fd) {
                    case .file: result.append(child)
                    case .directory: pending.append(child)
                    default: break
                    }
                }
            }
            return result.sorted()
        default:
            return []
        }
    }

    struct CopyOutcome: Sendable {
        /// What to do with a file that exists where a restored one goes.
        enum Existing: Sendable {
            /// Leave it, and count it (a restore `--to` a directory that holds files).
            case leave
            /// Move it aside to `NAME.understudy-replaced-TIME` first (`--overwrite`).
            case replaceMovingAside(at: Double)
            /// In place: the keeper keeps it in the history first.
            case replaceKeepingInHistory
        }

        var files: Int64 = 0
        var bytes: Int64 = 0
        var replaced: Int64 = 0
        /// Destination paths that existed and were left alone, and the names existing files were moved aside to.
        var leftAlone: [String] = []
        var movedAside: [String] = []
    }

    /// Copies each item to `destination` + its path less `base` (a temporary sibling, fsynced, renamed into place).
    /// A file already there is handled as `existing` says.
    static func copy(
        _ items: [RestoreItem], base: String, destination: String, store: ArchiveStore, replica: String,
        keeper: HistoryKeeper?,
        existing: CopyOutcome.Existing, applyOwnership: Bool
    ) throws -> CopyOutcome {
        let target = try ShareDirectory(path: destination, create: true)
        let replicaDirectory = try ShareDirectory(path: replica, create: false)
        var archives: [String: ShareDirectory] = [:]
        var outcome = CopyOutcome()
        for item in items {
            let input: Int32
            switch item.source {
            case .archive(let id):
                if archives[id] == nil {
                    archives[id] = try ShareDirectory(path: store.path + "/archives/" + id, create: false)
                }
                input = try archives[id]!.openFileForReading(item.path)
            case .history(let stored):
                input = openat(store.history, stored, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
                guard input >= 0 else { throw FileSystemError.errno("open the kept version", item.path) }
            case .replica:
                input = try replicaDirectory.openFileForReading(item.path)
            }
            defer { close(input) }
            var info = stat()
            guard fstat(input, &info) == 0 else { throw FileSystemError.errno("stat", item.path) }
            let relative = base.isEmpty ? item.path : String(item.path.dropFirst(base.count + 1))
            try makeParents(of: relative, in: target, like: replicaDirectory, sharePath: item.path)
            let (dir, name) = try target.parent(of: relative)
            var present = stat()
            let exists = fstatat(dir, name, &present, AT_SYMLINK_NOFOLLOW) == 0
            if exists, case .leave = existing {
                outcome.leftAlone.append(relative)
                continue
            }
            if exists, case .replaceMovingAside = existing, present.st_mode & S_IFMT != S_IFREG {
                outcome.leftAlone.append(relative)  // a directory or a link there is not a file to replace
                continue
            }
            let temporary = ReplicaWriter.temporaryName()
            let output = openat(dir, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard output >= 0 else { throw FileSystemError.errno("create", relative) }
            do {
                defer { close(output) }
                try TreeCloner.copyContent(from: input, to: output, path: item.path)
                try TreeCloner.copyAttributes(info, to: output, ownership: applyOwnership, path: item.path)
                guard fsync(output) == 0 else { throw FileSystemError.errno("fsync", relative) }
            } catch {
                unlinkat(dir, temporary, 0)
                throw error
            }
            if exists {
                switch existing {
                case .replaceKeepingInHistory:
                    keeper?.preserve(dir, name, path: relative, reason: "replaced")
                case .replaceMovingAside(let time):
                    // A second name for the old file first: the rename below replaces the name atomically. A name in
                    // use (a restore earlier in the same second) gets a number; a name too long, a short one.
                    let stamp = ".understudy-replaced-" + PointInTime.compact(time)
                    let base = name.utf8.count + stamp.utf8.count + 6 <= 255 ? name : ".understudy-replaced"
                    var aside = base + stamp
                    var number = 1
                    while linkat(dir, name, dir, aside, 0) != 0 {
                        guard errno == EEXIST, number < 1000 else {
                            unlinkat(dir, temporary, 0)
                            throw FileSystemError.errno("keep the existing file aside as \(aside)", relative)
                        }
                        number += 1
                        aside = base + stamp + "-\(number)"
                    }
                    outcome.movedAside.append(RelativePath.join(RelativePath.parent(relative) ?? "", aside))
                case .leave:
                    break
                }
                outcome.replaced += 1
            }
            guard renameat(dir, temporary, dir, name) == 0 else {
                unlinkat(dir, temporary, 0)
                throw FileSystemError.errno("rename into place", relative)
            }
            outcome.files += 1
            outcome.bytes += Int64(info.st_size)
        }
        guard understudy_syncfs(target.rootDescriptor) == 0 else { throw FileSystemError.errno("syncfs", destination) }
        return outcome
    }

    /// `--to`, resolved before it is judged: symbolic links and `..` cannot carry a restore into a replica (which the
    /// mirror would undo, or worse, whose live data it would overwrite) or into an archive directory of this node.
    func checkedDestination(_ text: String) throws -> String {
        guard text.hasPrefix("/") else {
            throw ArchiveError(.badRequest, "--to must be an absolute path, not '\(text)'")
        }
        let resolved = ResolvedPath.resolve(text)
        for context in node.shares.all {
            for (what, path) in [
                ("the replica", context.share.replica), ("the archive directory", context.share.archiveDirectory),
                ("the tree", context.localPath),
            ] {
                let guarded = ResolvedPath.resolve(path)
                if ResolvedPath.isWithin(resolved, guarded) || ResolvedPath.isWithin(guarded, resolved) {
                    throw ArchiveError(
                        .refused,
                        "--to \(text) resolves to \(resolved), \(resolved == guarded ? "which is" : ResolvedPath.isWithin(resolved, guarded) ? "inside" : "around") \(what) \(guarded) of \(context.key); restore into a directory of its own, or use --in-place on the node that serves the group"
                    )
                }
            }
        }
        return resolved
    }

    /// Creates the missing parent directories of `relative` in `target` (mode 0700 unless the replica has the same
    /// directory, whose mode is then copied).
    private static func makeParents(
        of relative: String, in target: ShareDirectory, like replica: ShareDirectory, sharePath: String
    ) throws {
        guard let parent = RelativePath.parent(relative), !parent.isEmpty else { return }
        var current = ""
        for component in RelativePath.components(parent) {
            let next = RelativePath.join(current, component)
            let fd = try target.openDirectory(current)
            defer { close(fd) }
            if mkdirat(fd, String(component), 0o700) == 0 {
                let offset = sharePath.count - relative.count
                let replicaPath = offset > 0 ? String(sharePath.prefix(offset)) + next : next
                if let status = try? replica.status(replicaPath), status.kind == .directory,
                    let created = try? target.openDirectory(next)
                {
                    fchmod(created, mode_t(status.attributes.mode))
                    close(created)
                }
            } else if errno != EEXIST {
                throw FileSystemError.errno("create directory", next)
            }
            current = next
        }
        target.invalidateCache()
    }
}
