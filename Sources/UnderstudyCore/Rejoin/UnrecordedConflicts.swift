/// Conflict copies that the serving tree holds from a peer without a record of them: a copy is linked into the tree
/// after it is recorded, but a tree or a database restored from a backup (or a crash of an older version, which
/// linked first) can leave one unrecorded, and a rejoin never pushes a copy the serving tree has. Found when the peer
/// rejoins, so that `understudy conflicts` lists every copy there is.
public enum UnrecordedConflicts {
    /// Regular files of `entries` named as `peer`'s conflict copies whose names are not in `recorded`.
    public static func find(in entries: [ManifestEntry], recorded: Set<String>, peer: String) -> [ManifestEntry] {
        entries.filter { entry in
            entry.kind == .file && !recorded.contains(entry.path) && ConflictName.isConflictCopy(entry.path)
                && ConflictName.node(of: RelativePath.name(entry.path).description) == peer
        }
    }
}
