#if canImport(Glibc)
import Glibc
#endif
import CLinux
import NIOConcurrencyHelpers
import UnderstudySupport

/// `syncfs` in rounds, one file system at a time: the shares being written together (a standby of several primaries,
/// or several shares of one) ask for durability together, and one `syncfs` made after all of them asked serves them
/// all (a group commit; DESIGN rule 1 holds, as each caller's round starts after it asked).
///
/// A file system is told by its device number (`st_dev`). A round's failure is every one of its callers' (a
/// writeback error of the file system is theirs too); each then fails its sync, which is compared again.
public final class FileSystemSync: Sendable {
    /// One for the process: `syncfs` is the kernel's, per file system, whoever asks.
    public static let shared = FileSystemSync()

    private let groups = NIOLockedValueBox<[UInt64: GroupCommit<Int32, FileSystemError>]>([:])

    public init() {}

    /// Returns once a `syncfs` of the file system of `descriptor`, made after this call began, has succeeded.
    /// - Parameter path: said when `descriptor` cannot be read.
    public func sync(_ descriptor: Int32, path: String = "") throws(FileSystemError) {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .errno("stat for syncfs", path) }
        let device = UInt64(status.st_dev)
        let group = groups.withLockedValue { groups in
            if let group = groups[device] { return group }
            let group = GroupCommit<Int32, FileSystemError> { (descriptors: [Int32]) throws(FileSystemError) in
                // Any descriptor of the round names the file system; theirs stay open while they wait.
                guard understudy_syncfs(descriptors[0]) == 0 else { throw .errno("syncfs", "") }
            }
            groups[device] = group
            return group
        }
        try group.commit(descriptor)
    }

    /// Durability asked for and `syncfs` calls made, over every file system.
    public var figures: GroupCommit<Int32, FileSystemError>.Figures {
        groups.withLockedValue { groups in
            groups.values.reduce(into: .init()) { total, group in
                let figures = group.figures
                total.requests += figures.requests
                total.rounds += figures.rounds
            }
        }
    }
}
