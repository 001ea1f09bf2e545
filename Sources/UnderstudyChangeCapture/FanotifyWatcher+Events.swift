import CLinux
import UnderstudyCore
import UnderstudyFileSystem

/// The FAN_* bits as the `UInt64` of an event's mask.
private enum Bit {
    static let modify = UInt64(UNDERSTUDY_FAN_MODIFY)
    static let attrib = UInt64(UNDERSTUDY_FAN_ATTRIB)
    static let closeWrite = UInt64(UNDERSTUDY_FAN_CLOSE_WRITE)
    static let create = UInt64(UNDERSTUDY_FAN_CREATE)
    static let delete = UInt64(UNDERSTUDY_FAN_DELETE)
    static let overflow = UInt64(UNDERSTUDY_FAN_Q_OVERFLOW)
    static let rename = UInt64(UNDERSTUDY_FAN_RENAME)
    static let isDirectory = UInt64(UNDERSTUDY_FAN_ONDIR)
}

extension FanotifyWatcher {
    func handleEvents(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var event = understudy_fanotify_event()
        var offset = 0
        while true {
            let next = understudy_fanotify_event_at(base, bytes.count, offset, &event)
            if next == -2 {
                // A kernel with another metadata layout: nothing can be read safely; compare instead.
                undelivered.append(CapturedChange(.overflow, ""))
                return
            }
            if next < 0 { break }
            handle(event)
            offset = next
        }
    }

    private func handle(_ event: understudy_fanotify_event) {
        let mask = event.mask
        if mask & Bit.overflow != 0 {
            emit(.overflow, "")
            directories.removeAll()
            return
        }
        let isDirectory = mask & Bit.isDirectory != 0
        let records = [event.first, event.second].prefix(Int(event.record_count))
        if mask & Bit.rename != 0 {
            for record in records { renamed(record, isDirectory: isDirectory) }
        } else if let record = records.first {
            changed(record, mask: mask, isDirectory: isDirectory)
        }
        // A directory renamed or removed changes the paths of everything cached below it.
        if isDirectory && mask & (Bit.rename | Bit.delete) != 0 {
            directories.removeAll(keepingCapacity: true)
        }
    }

    /// One name of a rename (its old or its new one): that entry and everything below it changed.
    private func renamed(_ record: understudy_fanotify_record, isDirectory: Bool) {
        guard let parent = directory(record.handle, length: record.handle_length), let name = name(of: record)
        else { return }
        if record.kind == UNDERSTUDY_FAN_RECORD_OLD && isDirectory
            && holdsRoot(RelativePath.join(parent.absolute, name))
        {
            emit(.overflow, "")  // the share itself moved: everything must be looked at again
            return
        }
        guard let directory = parent.mirrored, let path = mirroredEntry(directory, name, isDirectory: isDirectory)
        else { return }
        emit(.tree, path)
        emit(.settled, directory)
    }

    private func changed(_ record: understudy_fanotify_record, mask: UInt64, isDirectory: Bool) {
        guard let parent = directory(record.handle, length: record.handle_length), let name = name(of: record)
        else { return }
        if name == "." {
            // An event on a directory itself; its removal or move is told by its parent's event.
            if mask & Bit.attrib != 0, let path = parent.mirrored { emit(.settled, path) }
            return
        }
        if isDirectory && mask & Bit.delete != 0 && holdsRoot(RelativePath.join(parent.absolute, name)) {
            emit(.overflow, "")  // the share's root was removed
            return
        }
        guard let directory = parent.mirrored, let path = mirroredEntry(directory, name, isDirectory: isDirectory)
        else { return }
        if mask & Bit.create != 0 {
            emit(isDirectory ? .tree : .settled, path)
            emit(.settled, directory)
        }
        // Merged events keep no order: a write and a close together read as written, then settled.
        if mask & Bit.modify != 0 { emit(.writing, path) }
        if mask & (Bit.attrib | Bit.closeWrite) != 0 { emit(.settled, path) }
        if mask & Bit.delete != 0 {
            emit(.tree, path)
            emit(.settled, directory)
        }
    }

    private func name(of record: understudy_fanotify_record) -> String? {
        String(validating: UnsafeRawBufferPointer(start: record.name, count: Int(record.name_length)), as: UTF8.self)
    }

    /// The path of `name` in the mirrored `directory`, when the entry itself is mirrored too.
    private func mirroredEntry(_ directory: String, _ name: String, isDirectory: Bool) -> String? {
        guard !name.isEmpty, !name.hasPrefix(ShareDirectory.reservedPrefix) else { return nil }
        let path = RelativePath.join(directory, name)
        guard path.utf8.count <= RelativePath.maximumLength, filter.isMirrored(path, isDirectory: isDirectory) else {
            return nil
        }
        return path
    }

    private func emit(_ kind: CapturedChange.Kind, _ path: String) {
        undelivered.append(CapturedChange(kind, path))
    }
}
