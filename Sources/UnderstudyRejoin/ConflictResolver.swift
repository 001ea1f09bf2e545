#if canImport(Glibc)
import Glibc
#endif
import UnderstudyCore
import UnderstudyFileSystem
import UnderstudyReplication
import UnderstudyState

/// Ends an open conflict in the serving node's tree: `local` removes the copy, `remote` puts the copy in place of the
/// file, `both` leaves both files and only closes the record. Paths are resolved inside the share through
/// `ShareDirectory` (one component at a time, no symlink followed), so a record can never make it touch anything
/// outside the share (DESIGN rule 2).
package enum ConflictResolver {
    package struct Outcome: Sendable {
        package let conflict: ConflictInfo
        /// What now is, for people.
        package let summary: String
    }

    /// Resolves the open conflict of `share` whose file or copy is at `relative`, keeping `keep`.
    package static func resolve(
        _ relative: String, keep: ConflictKeep, in share: ShareContext, database: StateDatabase
    ) throws(ConflictResolutionError) -> Outcome {
        let open: [ConflictInfo]
        do {
            open = try database.conflicts(prefix: share.key).filter {
                $0.share == share.key && ($0.path == relative || $0.copy == relative)
            }
        } catch {
            throw ConflictResolutionError(
                .database, "could not read the conflicts of \(share.key): \(error)", cause: error)
        }
        guard let conflict = open.first else {
            throw ConflictResolutionError(
                .noOpenConflict,
                "no open conflict at \(share.key)/\(relative); `understudy conflicts \(share.group.name)` lists them")
        }
        let tree: ShareDirectory
        do {
            tree = try ShareDirectory(path: share.localPath, create: false)
        } catch {
            throw ConflictResolutionError(
                .fileOperation, "cannot open the share \(share.localPath): \(error)", cause: error)
        }
        switch keep {
        case .local:
            try remove(conflict.copy, in: tree)
        case .remote:
            try move(conflict.copy, to: conflict.path, in: tree)
        case .both:
            break
        }
        do {
            try database.resolveConflict(id: conflict.id, as: keep.rawValue)
        } catch {
            throw ConflictResolutionError(
                .database, "could not record the resolution of \(conflict.path): \(error)", cause: error)
        }
        let summary =
            switch keep {
            case .local: "kept this node's version; \(conflict.copy) removed"
            case .remote: "\(conflict.node)'s version is \(conflict.path) now"
            case .both: "both stay: \(conflict.path) and \(conflict.copy)"
            }
        return Outcome(conflict: conflict, summary: summary)
    }

    /// Removes the copy (gone already: nothing to do).
    private static func remove(_ copy: String, in tree: ShareDirectory) throws(ConflictResolutionError) {
        let parent: (descriptor: Int32, name: String)
        do { parent = try tree.parent(of: copy) } catch {
            throw ConflictResolutionError(.fileOperation, "could not remove \(copy): \(error)", cause: error)
        }
        guard unlinkat(parent.descriptor, parent.name, 0) == 0 || errno == ENOENT else {
            throw .errno("could not remove \(copy)")
        }
    }

    /// Puts the copy in place of the file, atomically.
    private static func move(_ copy: String, to path: String, in tree: ShareDirectory) throws(ConflictResolutionError) {
        let failed = "could not put \(copy) in place of \(path)"
        func directory(of file: String) throws(ConflictResolutionError) -> Int32 {
            do { return try tree.openDirectory(RelativePath.parent(file) ?? "") } catch {
                throw ConflictResolutionError(.fileOperation, "\(failed): \(error)", cause: error)
            }
        }
        let from = try directory(of: copy)
        defer { close(from) }
        let to = try directory(of: path)
        defer { close(to) }
        guard renameat(from, String(RelativePath.name(copy)), to, String(RelativePath.name(path))) == 0 else {
            throw .errno(failed)
        }
    }
}
