import CLinux
import UnderstudyCore
import UnderstudyFileSystem

/// The IN_* bits as the `UInt32` of an event's mask.
private enum Bit {
    static let modify = UInt32(UNDERSTUDY_IN_MODIFY)
    static let attrib = UInt32(UNDERSTUDY_IN_ATTRIB)
    static let closeWrite = UInt32(UNDERSTUDY_IN_CLOSE_WRITE)
    static let movedFrom = UInt32(UNDERSTUDY_IN_MOVED_FROM)
    static let movedTo = UInt32(UNDERSTUDY_IN_MOVED_TO)
    static let create = UInt32(UNDERSTUDY_IN_CREATE)
    static let delete = UInt32(UNDERSTUDY_IN_DELETE)
    static let deleteSelf = UInt32(UNDERSTUDY_IN_DELETE_SELF)
    static let moveSelf = UInt32(UNDERSTUDY_IN_MOVE_SELF)
    static let overflow = UInt32(UNDERSTUDY_IN_Q_OVERFLOW)
    static let ignored = UInt32(UNDERSTUDY_IN_IGNORED)
    static let isDirectory = UInt32(UNDERSTUDY_IN_ISDIR)
}

extension InotifyWatcher {
    /// The first half of a rename, waiting for its second half (same cookie) in this read or the next one.
    struct PendingMove {
        var cookie: UInt32
        var path: String
        var isDirectory: Bool
        var readsSeen = 0
    }

    func handleEvents(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var event = understudy_inotify_event()
        var offset = 0
        while true {
            let next = understudy_inotify_event_at(base, bytes.count, offset, &event)
            if next < 0 { break }
            handle(event)
            offset = next
        }
    }

    /// Renames whose second half did not come within `reads` further reads (0: now) moved out of the share.
    func resolvePendingMoves(olderThan reads: Int) {
        guard !pendingMoves.isEmpty else { return }
        var waiting: [PendingMove] = []
        for var move in pendingMoves {
            if move.readsSeen >= reads {
                if move.isDirectory { unwatchTree(move.path) }
                emit(.tree, move.path)
                emit(.settled, RelativePath.parent(move.path) ?? "")
            } else {
                move.readsSeen += 1
                waiting.append(move)
            }
        }
        pendingMoves = waiting
    }

    private func handle(_ event: understudy_inotify_event) {
        let mask = event.mask
        if mask & Bit.overflow != 0 {
            emit(.overflow, "")
            // The overflow covers every rename in flight, and the walk puts every watch and path right.
            pendingMoves.removeAll()
            resynchronize("")
            return
        }
        guard let directory = table.path(of: event.watch) else { return }  // a watch we already dropped
        if mask & Bit.ignored != 0 {
            table.forget(event.watch)
            return
        }
        if event.name_length == 0 {
            handleOwnEvent(mask, watch: event.watch, directory: directory)
            return
        }
        let nameBytes = UnsafeRawBufferPointer(start: event.name, count: Int(event.name_length))
        guard let name = String(validating: nameBytes, as: UTF8.self), !name.hasPrefix(ShareDirectory.reservedPrefix)
        else { return }
        let path = RelativePath.join(directory, name)
        let isDirectory = mask & Bit.isDirectory != 0
        let mirrored =
            filter.isMirrored(path, isDirectory: isDirectory) && path.utf8.count <= RelativePath.maximumLength
        if mask & Bit.movedFrom != 0 {
            // An unmirrored source has no watches to carry over; its destination is handled as moved in.
            if mirrored { pendingMoves.append(PendingMove(cookie: event.cookie, path: path, isDirectory: isDirectory)) }
            return
        }
        if mask & Bit.movedTo != 0 {
            movedTo(path, parent: directory, isDirectory: isDirectory, mirrored: mirrored, cookie: event.cookie)
            return
        }
        guard mirrored else { return }
        if mask & Bit.create != 0 {
            if isDirectory {
                // Watch it (and whatever was already made inside) before anyone rescans it, or a file made in
                // between is seen by neither.
                resynchronize(path)
                emit(.tree, path)
            } else {
                emit(.settled, path)
            }
            emit(.settled, directory)
        }
        if mask & Bit.modify != 0 { emit(.writing, path) }
        if mask & (Bit.attrib | Bit.closeWrite) != 0 { emit(.settled, path) }
        if mask & Bit.delete != 0 {
            if isDirectory { _ = table.forgetTree(path) }  // the kernel drops those watches itself
            emit(.tree, path)
            emit(.settled, directory)
        }
    }

    /// An event on a watched directory itself rather than on a name inside it.
    private func handleOwnEvent(_ mask: UInt32, watch: Int32, directory: String) {
        if mask & Bit.attrib != 0 { emit(.settled, directory) }
        if mask & Bit.deleteSelf != 0 {
            table.forget(watch)
            if directory.isEmpty { emit(.overflow, "") }
        }
        // Another directory's move is told by its parent's MOVED_FROM/TO; the root has no parent watched.
        if mask & Bit.moveSelf != 0 && directory.isEmpty { emit(.overflow, "") }
    }

    private func movedTo(_ path: String, parent: String, isDirectory: Bool, mirrored: Bool, cookie: UInt32) {
        guard let index = pendingMoves.firstIndex(where: { $0.cookie == cookie }) else {
            guard mirrored else { return }
            if isDirectory { resynchronize(path) }  // moved in from outside the share
            emit(.tree, path)
            emit(.settled, parent)
            return
        }
        let from = pendingMoves.remove(at: index)
        if from.isDirectory {
            if !mirrored {
                unwatchTree(from.path)
            } else if table.watch(at: from.path) != nil {
                table.move(from.path, to: path)
                confirmMoved(path)
            } else {
                resynchronize(path)  // never watched: the limit was reached when it was made
            }
        }
        emit(.tree, from.path)
        if mirrored { emit(.tree, path) }
        emit(.settled, RelativePath.parent(from.path) ?? "")
        if mirrored { emit(.settled, parent) }
    }

    private func emit(_ kind: CapturedChange.Kind, _ path: String) {
        undelivered.append(CapturedChange(kind, path))
    }
}
