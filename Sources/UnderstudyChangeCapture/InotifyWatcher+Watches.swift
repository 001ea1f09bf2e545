#if canImport(Glibc)
import Glibc
#endif
import CLinux
import UnderstudyCore
import UnderstudyFileSystem

extension InotifyWatcher {
    /// Watches `top` and every directory below it that the filter keeps, each before it is listed, so that a
    /// directory made during the walk is either listed or announced by its own create event.
    /// Returns the watch descriptors of the directories walked. The caller has checked the filter for `top`.
    func watchTree(_ top: String) throws(FileSystemError) -> Set<Int32> {
        var seen = Set<Int32>()
        // One open directory per level, not per directory found: a wide tree must not exhaust descriptors.
        var stack: [(path: String, stream: OpaquePointer)] = []
        defer { for entry in stack { closedir(entry.stream) } }
        guard let descriptor = try openDirectory(top) else { return seen }
        try enter(descriptor, top, stack: &stack, seen: &seen)
        while let (directory, stream) = stack.last {
            errno = 0
            guard let entry = readdir(stream) else {
                let failure = errno
                closedir(stream)
                stack.removeLast()
                if failure != 0 { throw FileSystemError(operation: "read directory", path: directory, errno: failure) }
                continue
            }
            let type = Int(entry.pointee.d_type)
            guard type == Int(DT_DIR) || type == Int(DT_UNKNOWN) else { continue }
            let rawName = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix(while: { $0 != 0 })) }
            if rawName == [46] || rawName == [46, 46] { continue }
            guard let name = String(validating: rawName, as: UTF8.self), !name.hasPrefix(ShareDirectory.reservedPrefix)
            else { continue }
            let path = RelativePath.join(directory, name)
            // Too long to mirror (the scanner skips it too): nothing below it is watched.
            if filter.isExcluded(path, isDirectory: true) || path.utf8.count > RelativePath.maximumLength { continue }
            let child = openat(dirfd(stream), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if child < 0 {
                if errno == ENOENT || errno == ENOTDIR || errno == ELOOP { continue }  // gone, or not a directory
                throw .errno("open directory", path)
            }
            try enter(child, path, stack: &stack, seen: &seen)
        }
        return seen
    }

    /// Brings the watches of `top`'s tree in line with the disk: watches what is new, drops what is gone, and
    /// corrects the path of a watched directory that moved unseen.
    func resynchronize(_ top: String) {
        defer { displaced = [] }
        do {
            let seen = try watchTree(top)
            for watch in table.watches(within: top) where !seen.contains(watch) {
                table.forget(watch)
                _ = understudy_inotify_rm_watch(inotifyDescriptor, watch)
            }
            for watch in displaced where table.path(of: watch) == nil {
                _ = understudy_inotify_rm_watch(inotifyDescriptor, watch)
            }
        } catch {
            // Displaced watches may stand for directories the walk did not reach: leave them to the kernel.
            undelivered.append(CapturedChange(.overflow, top))
        }
    }

    /// A directory left the share (or became excluded): its watches would report paths that are no longer ours.
    func unwatchTree(_ path: String) {
        for watch in table.forgetTree(path) { _ = understudy_inotify_rm_watch(inotifyDescriptor, watch) }
    }

    /// After a rename, the prefix-rewritten map is right if the directory now at `path` is the one we moved there.
    /// A walk is needed when it is not (renamed again or replaced before we read the events), or when anchored
    /// exclude patterns may judge the directories below differently at their new place.
    func confirmMoved(_ path: String) {
        if !filter.exclude.contains(where: \.isAnchored), let descriptor = (try? openDirectory(path)) ?? nil {
            let actual = addWatch(descriptor, path)
            close(descriptor)
            if actual < 0 && (errno == ENOENT || errno == ENOTDIR) { return }  // moved on again; its events follow
            if actual >= 0 && actual == table.watch(at: path) { return }
        }
        resynchronize(path)
    }

    private func enter(
        _ descriptor: Int32, _ path: String, stack: inout [(path: String, stream: OpaquePointer)],
        seen: inout Set<Int32>
    ) throws(FileSystemError) {
        let watch: Int32?
        do {
            watch = try self.watch(descriptor, path)
        } catch {
            close(descriptor)
            throw error
        }
        guard let watch else {
            close(descriptor)
            return
        }
        seen.insert(watch)
        guard let stream = fdopendir(descriptor) else {
            let error = FileSystemError.errno("read directory", path)
            close(descriptor)
            throw error
        }
        stack.append((path, stream))
    }

    /// Nil when the directory vanished or the watch limit stopped us (then the directory is reported for a rescan).
    private func watch(_ descriptor: Int32, _ path: String) throws(FileSystemError) -> Int32? {
        let watch = addWatch(descriptor, path)
        if watch >= 0 {
            displaced += table.insert(watch, path)
            return watch
        }
        switch errno {
        case ENOENT, ENOTDIR:
            return nil
        case ENOSPC:
            if limitProblem == nil {
                limitProblem = WatchLimit.problem(watches: table.count, limit: WatchLimit.current())
            }
            undelivered.append(CapturedChange(.overflow, path))
            unwatched.insert(path)
            return nil
        default:
            throw .errno("add inotify watch", path)
        }
    }

    /// inotify_add_watch has no *at form; naming our O_NOFOLLOW descriptor through /proc watches exactly the
    /// directory we walked, where a path could pass through a symlink swapped in since. Following that magic
    /// link is the point, so IN_DONT_FOLLOW is left out there.
    private func addWatch(_ descriptor: Int32, _ path: String) -> Int32 {
        if watchesThroughDescriptors {
            let mask = Self.watchMask & ~UInt32(UNDERSTUDY_IN_DONT_FOLLOW)
            return understudy_inotify_add_watch(inotifyDescriptor, "/proc/self/fd/\(descriptor)", mask)
        }
        return understudy_inotify_add_watch(inotifyDescriptor, path.isEmpty ? root : root + "/" + path, Self.watchMask)
    }

    /// Without following symlinks; nil when the directory is gone or is no directory any more.
    private func openDirectory(_ path: String) throws(FileSystemError) -> Int32? {
        if path.isEmpty {
            // A new open file description: a dup of the root descriptor would share its directory offset.
            let fd = openat(share.rootDescriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { throw .errno("open directory", path) }
            return fd
        }
        do {
            return try share.openDirectory(path)
        } catch  where error.code == .pathRefused || error.errnoValue == ENOENT || error.errnoValue == ENOTDIR {
            return nil
        }
    }
}
