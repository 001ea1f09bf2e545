#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Foundation
import UnderstudyCore
import UnderstudyFileSystem

/// One share's part of a proof on disk, in the share's proof directory (`.NAME.understudy-proof` beside the replica,
/// so that hard links reach it): `<id>/lower` is the snapshot (the replica's tree, linked or cloned), `<id>/upper` and
/// `<id>/work` the overlay's writable layer. The whole `<id>` goes when the proof ends.
package struct ProofSnapshot: Sendable {
    package let directory: String
    package let lower: String
    package let upper: String
    package let work: String
    package var method = "hardlink"
    package var files: Int64 = 0

    /// The proof directory of a share whose replica is `replica`.
    package static func proofDirectory(replica: String) -> String {
        ShareConfiguration.sibling(of: replica, suffix: ".understudy-proof")
    }

    package init(root: String, id: String) {
        directory = root + "/" + id
        lower = directory + "/lower"
        upper = directory + "/upper"
        work = directory + "/work"
    }

    /// Makes the directories and links (or clones, or copies) `replica` into `lower`; call under the replica's gate.
    package mutating func take(replica: String, applyOwnership: Bool) throws {
        for path in [directory, upper, work] { try ShareDirectory.makeDirectories(path) }
        guard mkdir(lower, 0o755) == 0 || errno == EEXIST else {
            throw FileSystemError.errno("create the proof's snapshot directory", lower)
        }
        let destination = open(lower, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard destination >= 0 else { throw FileSystemError.errno("open the proof's snapshot directory", lower) }
        defer { close(destination) }
        let source = try ShareDirectory(path: replica, create: false)
        var mine = stat()
        var theirs = stat()
        // Hard links and reflinks cannot cross file systems: a replica that is a file system of its own would be
        // copied byte for byte, while the mirror waits, at every proof. Refused instead.
        guard fstat(destination, &mine) == 0, fstat(source.rootDescriptor, &theirs) == 0 else {
            throw FileSystemError.errno("stat", replica)
        }
        guard mine.st_dev == theirs.st_dev else {
            throw ProofSnapshotError(
                "the replica \(replica) is a file system of its own, and the proof's directory beside it (\(directory)) is on another: its snapshot would be a full copy. Keep the replica in a directory of its file system (mount it at /srv/data and set replica = \"/srv/data/files\")"
            )
        }
        var cloner = TreeCloner(allowHardLinks: true, applyOwnership: applyOwnership)
        try cloner.cloneContents(of: source.rootDescriptor, into: destination, path: "")
        if fstat(source.rootDescriptor, &theirs) == 0 {
            try TreeCloner.copyAttributes(theirs, to: destination, ownership: applyOwnership, path: "")
            // The overlay's root takes the upper layer's mode and owner: the replica root's, so that a service running
            // as its own user may enter it as at a takeover.
            let upperDirectory = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard upperDirectory >= 0 else { throw FileSystemError.errno("open the proof's upper layer", upper) }
            defer { close(upperDirectory) }
            try TreeCloner.copyAttributes(theirs, to: upperDirectory, ownership: true, path: "")
        }
        method = cloner.method.rawValue
        files = cloner.files
    }

    /// Removes `path` (a proof's directory) and everything under it, never following a symbolic link nor crossing
    /// into another file system.
    package static func remove(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        try FileManager.default.removeItem(atPath: path)
    }
}

/// Why a proof's snapshot cannot be taken as cheaply as it must.
package struct ProofSnapshotError: Error, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = description }
}
