#if canImport(Glibc)
import Glibc
#endif
import UnderstudySupport

/// Removes the temporaries (`.understudy.tmp.*`) a crashed daemon left in a tree, so they do not sit in the replica
/// until the next full comparison. Partial copies (`.understudy.part.*`) stay: they are the basis a resumed transfer
/// continues from. Walks with `openat` and never follows a symlink; the times of a directory it removes from are
/// kept (they were set to the source's).
package enum TemporarySweeper {
    package struct Outcome: Sendable, Equatable {
        package var removed = 0
        package var directories = 0
        package var failures: [String] = []

        package init(failures: [String] = []) {
            self.failures = failures
        }
    }

    package static func sweep(_ root: String) -> Outcome {
        var outcome = Outcome()
        let rootDescriptor = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootDescriptor >= 0 else {
            if errno != ENOENT { outcome.failures.append("\(root): \(errnoText(errno))") }
            return outcome
        }
        var pending: [(path: String, fd: Int32)] = [(root, rootDescriptor)]
        let prefix = Array(ShareDirectory.temporaryPrefix.utf8)
        while let (path, fd) = pending.popLast() {
            defer { close(fd) }
            outcome.directories += 1
            guard let entries = DirectoryEntry.read(fd) else {
                outcome.failures.append("\(path): \(errnoText(errno))")
                continue
            }
            var times = stat()
            let timesKnown = fstat(fd, &times) == 0
            var removedHere = false
            for entry in entries {
                let bytes = entry.name.dropLast().map { UInt8(bitPattern: $0) }
                if bytes.starts(with: prefix) {
                    let flags = entry.resolvedKind(in: fd) == .directory ? AT_REMOVEDIR : 0
                    if unlinkat(fd, entry.name, flags) == 0 {
                        outcome.removed += 1
                        removedHere = true
                    } else {
                        outcome.failures.append("\(path)/\(entry.displayName): \(errnoText(errno))")
                    }
                } else if entry.resolvedKind(in: fd) == .directory {
                    let child = openat(fd, entry.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    if child >= 0 { pending.append((path + "/" + entry.displayName, child)) }
                }
            }
            if removedHere && timesKnown {
                var restored = [times.st_atim, times.st_mtim]
                _ = futimens(fd, &restored)
            }
        }
        return outcome
    }
}
