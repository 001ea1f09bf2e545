import CLinux
import UnderstudyCore

/// One fanotify event with its directories found: what every watcher of the hub reads.
struct FanotifyEvent {
    /// A directory (its current absolute path) and a name in it: "." for an event on the directory itself.
    struct Entry {
        enum Role { case entry, oldName, newName }
        var role: Role
        var directory: String
        var name: String

        var path: String { directory.hasSuffix("/") ? directory + name : directory + "/" + name }
    }

    var mask: UInt64
    var entries: [Entry]

    var isDirectory: Bool { mask & Bit.isDirectory != 0 }

    /// The FAN_* bits as the `UInt64` of an event's mask.
    enum Bit {
        static let modify = UInt64(UNDERSTUDY_FAN_MODIFY)
        static let attrib = UInt64(UNDERSTUDY_FAN_ATTRIB)
        static let closeWrite = UInt64(UNDERSTUDY_FAN_CLOSE_WRITE)
        static let create = UInt64(UNDERSTUDY_FAN_CREATE)
        static let delete = UInt64(UNDERSTUDY_FAN_DELETE)
        static let overflow = UInt64(UNDERSTUDY_FAN_Q_OVERFLOW)
        static let rename = UInt64(UNDERSTUDY_FAN_RENAME)
        static let isDirectory = UInt64(UNDERSTUDY_FAN_ONDIR)
    }

    static let overflow = FanotifyEvent(mask: Bit.overflow, entries: [])
}

extension FanotifyHub {
    func handleEvents(_ bytes: UnsafeRawBufferPointer, for watchers: [FanotifyWatcher]) {
        guard let base = bytes.baseAddress else { return }
        var raw = understudy_fanotify_event()
        var offset = 0
        while true {
            let next = understudy_fanotify_event_at(base, bytes.count, offset, &raw)
            if next == -2 {
                // A kernel with another metadata layout: nothing can be read safely; compare instead.
                for watcher in watchers { watcher.receive(.overflow) }
                return
            }
            if next < 0 { break }
            // Most events on a busy file system are in nobody's tree: dropped before any name is decoded.
            if let event = resolve(raw) {
                for watcher in watchers { watcher.receive(event) }
            }
            // A directory renamed or removed anywhere changes the paths of everything cached below it.
            let mask = raw.mask
            if mask & FanotifyEvent.Bit.overflow != 0
                || (mask & FanotifyEvent.Bit.isDirectory != 0
                    && mask & (FanotifyEvent.Bit.rename | FanotifyEvent.Bit.delete) != 0)
            {
                forgetDirectories()
            }
            offset = next
        }
    }

    /// The event with the records whose directories matter to a watcher; nil when none does.
    private func resolve(_ raw: understudy_fanotify_event) -> FanotifyEvent? {
        if raw.mask & FanotifyEvent.Bit.overflow != 0 { return .overflow }
        var event = FanotifyEvent(mask: raw.mask, entries: [])
        for record in [raw.first, raw.second].prefix(Int(raw.record_count)) {
            guard let directory = directory(record.handle, length: record.handle_length), directory.relevant,
                let name = String(
                    validating: UnsafeRawBufferPointer(start: record.name, count: Int(record.name_length)),
                    as: UTF8.self)
            else { continue }
            let role: FanotifyEvent.Entry.Role =
                switch record.kind {
                case Int32(UNDERSTUDY_FAN_RECORD_OLD): .oldName
                case Int32(UNDERSTUDY_FAN_RECORD_NEW): .newName
                default: .entry
                }
            event.entries.append(FanotifyEvent.Entry(role: role, directory: directory.absolute, name: name))
        }
        return event.entries.isEmpty ? nil : event
    }
}
