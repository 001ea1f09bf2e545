#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Foundation
import UnderstudyCore
import UnderstudyFileSystem
import UnderstudyReplication
import UnderstudySupport

/// Taking, pruning and listing archives; recovery after a crash.
extension ArchiveService {
    /// Takes one archive of `context`'s replica now (or of `paths` in it), waiting for the replica gate.
    package func takeArchive(_ context: ShareContext, series: String, paths: [String]) async throws -> ArchiveInfo {
        let store: ArchiveStore
        do {
            try await prepare(context)
            store = try await openStore(context)
        } catch {
            report(context, failure: "\(error)")
            throw error
        }
        let info = try await jobs.withExclusiveAccess {
            try await make(context, store: store, series: series, paths: paths)
        }
        // The series' retention may now let older archives go.
        if let schedule = context.group.archives.first(where: { $0.share == context.shareName && $0.name == series }) {
            let now = clock()
            await prune(context, schedule: schedule, now: now, calendar: Self.calendar(at: now))
        }
        updateStatus(context)
        return info
    }

    /// One archive run, under the job lock: catalog row `making`, the tree under the replica gate, row `complete`.
    private func make(
        _ context: ShareContext, store: ArchiveStore, series: String, paths: [String]
    ) async throws -> ArchiveInfo {
        let freshness = freshness(context)
        if freshness == .notSyncedSinceStart {
            throw ArchiveError(
                .notReady,
                "the replica of \(context.key) has not completed a sync since understudy started, so it may hold far older data than an archive taken now would say; run `understudy sync \(context.groupName)` first (or take over the group if its primary is gone)"
            )
        }
        let existing = Set(((try? node.database.archives(share: context.key)) ?? []).map(\.id))
        let takenAt = clock()
        var id = "\(series)-\(PointInTime.compact(takenAt))"
        var suffix = 1
        while existing.contains(id) || !usedNames.insert(context.key + "/" + id), suffix < 10_000 {
            suffix += 1
            id = "\(series)-\(PointInTime.compact(takenAt))-\(suffix)"
        }
        var info = ArchiveInfo(
            id: id, group: context.groupName, share: context.shareName, series: series,
            takenAt: Date(timeIntervalSince1970: takenAt), seconds: nil, files: 0, bytes: 0, state: .making,
            method: nil, paths: paths)
        try node.database.saveArchive(info)
        // After a takeover the replica is the live data: services write files in place, so a hard link would let
        // them change the archive too. Archives then get their own inodes (reflinks, or copies).
        let allowHardLinks = !store.reflinks && !node.owns(group: context.groupName)
        if allowHardLinks { context.archiving.noteSharedInodes() }
        let started = node.now()
        let applyOwnership = node.identity.appliesOwnership
        let replica = context.share.replica
        let finalID = id
        do {
            let cloner = try await context.replicaGate.withExclusiveAccess {
                try await onThread {
                    try Self.build(
                        id: finalID, store: store, replica: replica, paths: paths, allowHardLinks: allowHardLinks,
                        applyOwnership: applyOwnership)
                }
            }
            info.state = .complete
            info.files = cloner.files
            info.bytes = cloner.bytes
            info.method = cloner.method.rawValue
            info.seconds = node.now() - started
            var notes: [String] = []
            if case .stale(let since) = freshness {
                notes.append(
                    "taken from a replica last in step with \(context.group.peer(of: node.name)) \(ConfigDuration(seconds: max(0, takenAt - since).rounded())) before (at \(PointInTime.format(since))): changes made since are not in it"
                )
            }
            if !cloner.skipped.isEmpty {
                notes.append(
                    "\(cloner.skipped.count) entries that are neither files, directories nor symlinks were skipped (first: \(cloner.skipped[0]))"
                )
            }
            info.error = notes.isEmpty ? nil : notes.joined(separator: "; ")
            try node.database.saveArchive(info)
        } catch {
            info.state = .failed
            info.error = "\(error)"
            info.seconds = node.now() - started
            try? node.database.saveArchive(info)
            await discardPartial(store, id: id)
            report(context, failure: "archive \(id) failed: \(error)")
            throw ArchiveError(.failed, "archive \(id) of \(context.key) failed: \(error)", cause: error)
        }
        node.logger.info(
            "archive \(id) of \(context.key): \(info.files) files, \(ByteCount.format(info.bytes)), \(String(format: "%.2f", info.seconds ?? 0)) s (\(info.method ?? "?"))"
        )
        node.event(
            .info, .archiveTaken, "archive \(id): \(info.files) files, \(info.bytes) bytes", share: context.key)
        reportSuccess(context, info)
        return info
    }

    /// Links (or clones) the replica into `archives/.making-<id>`, makes it durable, then renames it to `<id>`.
    static func build(
        id: String, store: ArchiveStore, replica: String, paths: [String], allowHardLinks: Bool,
        applyOwnership: Bool
    ) throws -> TreeCloner {
        let making = ArchiveStore.makingPrefix + id
        guard mkdirat(store.archives, making, 0o700) == 0 else {
            throw FileSystemError.errno("create archive directory", store.path + "/archives/" + making)
        }
        let destination = openat(store.archives, making, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard destination >= 0 else { throw FileSystemError.errno("open archive directory", making) }
        defer { close(destination) }
        let source = try ShareDirectory(path: replica, create: false)
        var cloner = TreeCloner(allowHardLinks: allowHardLinks, applyOwnership: applyOwnership)
        if paths.isEmpty {
            try cloner.cloneContents(of: source.rootDescriptor, into: destination, path: "")
            var info = stat()
            if fstat(source.rootDescriptor, &info) == 0 {
                try TreeCloner.copyAttributes(info, to: destination, ownership: applyOwnership, path: "")
            }
        } else {
            for path in paths {
                // Parent directories first (with the replica's attributes), then the subtree itself.
                var parentDestination = dup(destination)
                var current = ""
                let components = RelativePath.components(path)
                var missing = false
                for component in components.dropLast() {
                    current = RelativePath.join(current, component)
                    guard let sourceDirectory = try? source.openDirectory(current) else {
                        missing = true
                        break
                    }
                    var info = stat()
                    fstat(sourceDirectory, &info)
                    close(sourceDirectory)
                    mkdirat(parentDestination, String(component), 0o700)
                    let next = openat(
                        parentDestination, String(component), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    close(parentDestination)
                    guard next >= 0 else { throw FileSystemError.errno("create directory in archive", current) }
                    try? TreeCloner.copyAttributes(info, to: next, ownership: applyOwnership, path: current)
                    parentDestination = next
                }
                defer { close(parentDestination) }
                if missing { continue }
                guard let (parent, name) = try? source.parent(of: path) else { continue }
                var info = stat()
                // Not there now: nothing to keep.
                guard fstatat(parent, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                let kind: DirectoryEntry.Kind =
                    switch info.st_mode & S_IFMT {
                    case S_IFREG: .file
                    case S_IFDIR: .directory
                    case S_IFLNK: .symlink
                    default: .other
                    }
                try cloner.cloneEntry(
                    DirectoryEntry(name: Array(name.utf8CString), kind: kind), from: parent, into: parentDestination,
                    path: path)
            }
        }
        guard understudy_syncfs(destination) == 0 else { throw FileSystemError.errno("syncfs", making) }
        guard renameat(store.archives, making, store.archives, id) == 0 else {
            throw FileSystemError.errno("rename archive into place", id)
        }
        guard fsync(store.archives) == 0 else { throw FileSystemError.errno("fsync", store.path + "/archives") }
        return cloner
    }

    /// Moves a half-made archive to the trash and empties it.
    func discardPartial(_ store: ArchiveStore, id: String) async {
        let making = ArchiveStore.makingPrefix + id
        renameat(store.archives, making, store.trash, making)
        await emptyTrash(store)
    }

    func emptyTrash(_ store: ArchiveStore) async {
        _ = try? await onThread {
            var remover = TrashRemover()
            remover.removeEverything(in: store.trash)
            return remover.removed
        }
    }

    /// After a crash: runs that were being made are marked interrupted (their trees removed); archives that were
    /// being pruned are removed; kept versions without a record are deleted.
    func recover(_ context: ShareContext) async throws {
        let store = try await openStore(context)
        let key = context.key
        for var archive in try node.database.archives(share: key) {
            switch archive.state {
            case .making:
                archive.state = .interrupted
                archive.error = "the daemon stopped while it was being made; its partial tree was removed"
                try node.database.saveArchive(archive)
                renameat(
                    store.archives, ArchiveStore.makingPrefix + archive.id, store.trash,
                    ArchiveStore.makingPrefix + archive.id)
                node.logger.warning(
                    "archive \(archive.id) of \(key) was interrupted (the daemon stopped while making it); removed its partial tree, the next run makes a new one"
                )
                node.event(
                    .warning, .archiveInterrupted,
                    "archive \(archive.id) was interrupted; its partial tree was removed", share: key)
            case .pruning:
                renameat(store.archives, archive.id, store.trash, archive.id)
            default:
                break
            }
        }
        // Leftover half-made trees without a record (crash before the record was written).
        for entry in DirectoryEntry.read(store.archives) ?? []
        where entry.displayName.hasPrefix(ArchiveStore.makingPrefix) {
            renameat(store.archives, entry.name, store.trash, entry.name)
        }
        await emptyTrash(store)
        for archive in try node.database.archives(share: key) where archive.state == .pruning {
            try node.database.deleteArchive(share: key, id: archive.id)
        }
        let known = try node.database.historyStoredNames(share: key)
        let orphans = try await onThread { Self.removeOrphans(store, known: known) }
        if orphans > 0 {
            node.logger.notice("history of \(key): removed \(orphans) kept copies without a record (left by a crash)")
        }
    }

    static func removeOrphans(_ store: ArchiveStore, known: Set<String>) -> Int {
        var removed = 0
        for shard in 0..<256 {
            let shardName = ArchiveStore.hex(UInt64(shard), digits: 2)
            let fd = openat(store.history, shardName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { continue }
            for entry in DirectoryEntry.read(fd) ?? [] where !known.contains(shardName + "/" + entry.displayName) {
                if unlinkat(fd, entry.name, 0) == 0 { removed += 1 }
            }
            close(fd)
        }
        return removed
    }

    /// Removes one archive: it leaves `archives/` at once (a rename), then is deleted a little at a time.
    package func removeArchive(_ context: ShareContext, id: String, reason: String) async throws {
        if !recovered.contains(context.key) { try await prepare(context) }
        let store = try await openStore(context)
        guard var archive = try node.database.archives(share: context.key).first(where: { $0.id == id }) else {
            let ids = try node.database.archives(share: context.key).map(\.id)
            throw ArchiveError(
                .unknownArchive,
                "\(context.key) has no archive '\(id)'"
                    + (ids.isEmpty ? "; it has none" : "; its archives: " + ids.suffix(10).joined(separator: ", ")))
        }
        guard archive.state != .making else {
            throw ArchiveError(.archiveBusy, "archive \(id) is being made; remove it once it is done")
        }
        archive.state = .pruning
        try node.database.saveArchive(archive)
        renameat(store.archives, id, store.trash, id)
        await emptyTrash(store)
        try node.database.deleteArchive(share: context.key, id: id)
        node.logger.info("archive \(id) of \(context.key) removed (\(reason))")
        node.event(.info, .archiveRemoved, "archive \(id) removed (\(reason))", share: context.key)
    }

    /// Removes what the retention of `schedule` no longer keeps, oldest first; failed and interrupted runs of the
    /// series go once a newer archive is complete.
    func prune(_ context: ShareContext, schedule: ArchiveConfiguration, now: Double, calendar: ArchiveCalendar) async {
        guard let archives = try? node.database.archives(share: context.key).filter({ $0.series == schedule.name })
        else { return }
        let complete = archives.filter { $0.state == .complete }
        let decision = schedule.retention.decide(
            complete.map { RetentionPolicy.Archive(id: $0.id, time: $0.takenAt.timeIntervalSince1970) },
            now: now, calendar: calendar)
        await jobs.acquire()
        defer { jobs.release() }
        for archive in decision.prune {
            do {
                try await removeArchive(context, id: archive.id, reason: "retention of \(schedule.name)")
            } catch {
                report(context, failure: "could not prune archive \(archive.id): \(error)")
                return
            }
        }
        if let newest = complete.last {
            for stale in archives
            where (stale.state == .failed || stale.state == .interrupted) && stale.takenAt < newest.takenAt {
                try? node.database.deleteArchive(share: context.key, id: stale.id)
            }
        }
    }

    /// Deletes kept versions older than the share's window (30 days for a share whose history was turned off).
    func expireHistory(_ context: ShareContext, now: Double) async {
        guard let store = store(of: context) else { return }
        let window = context.share.history?.seconds ?? 30 * 86400
        for _ in 0..<20 {
            guard
                let expired = try? node.database.expireHistory(
                    share: context.key, endedBefore: now - window, limit: 5000),
                !expired.isEmpty
            else { return }
            _ = try? await onThread {
                for stored in expired.compactMap(\.stored) { unlinkat(store.history, stored, 0) }
                return true
            }
            if expired.count < 5000 { return }
        }
    }

    /// The archives of every share this node keeps (or of one group / share), with the space each holds alone.
    package func list(group: String?, share: String?) async throws -> [ArchiveInfo] {
        let selected = group == nil ? contexts : [try context(group: group, share: share)]
        var result: [ArchiveInfo] = []
        for context in selected {
            if needsStore(context) { try await prepare(context) }
            var archives = try node.database.archives(share: context.key)
            if let store = store(of: context) {
                let unmeasured = archives
                let measured = try await onThread { () -> [ArchiveInfo] in
                    unmeasured.map { archive in
                        var archive = archive
                        guard archive.state == .complete, archive.method != TreeCloner.Method.reflink.rawValue else {
                            return archive
                        }
                        let fd = openat(store.archives, archive.id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                        guard fd >= 0 else { return archive }
                        defer { close(fd) }
                        archive.exclusiveBytes = ArchiveStore.exclusiveBytes(of: fd)
                        return archive
                    }
                }
                archives = measured
            }
            result += archives
        }
        return result
    }

    package func updateStatus(_ context: ShareContext) {
        let now = clock()
        let calendar = Self.calendar(at: now)
        let archives = (try? node.database.archives(share: context.key)) ?? []
        let complete = archives.filter { $0.state == .complete }
        var nextRuns: [String: Date] = [:]
        for schedule in context.group.archives where schedule.share == context.shareName {
            let last = complete.last { $0.series == schedule.name }?.takenAt.timeIntervalSince1970
            let next =
                schedule.schedule.isDue(lastRun: last, now: now, calendar: calendar)
                ? now : schedule.schedule.nextSlot(after: now, calendar: calendar)
            nextRuns[schedule.name] = Date(timeIntervalSince1970: next)
        }
        let totals = (try? node.database.historyTotals(share: context.key)) ?? (versions: 0, bytes: 0)
        node.status.update(group: context.groupName, share: context.shareName) { status in
            var archive = status.archive ?? ShareArchiveStatus()
            archive.archives = complete.count
            archive.lastArchiveID = complete.last?.id
            archive.lastArchiveAt = complete.last?.takenAt
            archive.nextRuns = nextRuns
            archive.historyWindowSeconds = context.share.history?.seconds
            archive.historyVersions = totals.versions
            archive.historyBytes = totals.bytes
            if archives.last?.state == .complete { archive.lastError = nil }
            status.archive = archive
        }
    }
}
