/// A verification compares the trees by content, not only by size and time: files the plan leaves alone but
/// whose replica content differs from the source's are sent again, whole. It should find nothing; when it does,
/// the replica was changed behind understudy's back (or its disk corrupted it), and the report names the files.
public enum ContentVerification {
    /// Regular files that `plan` does not touch, whose replica digest is known and differs from the source's
    /// (`sourceDigest` returns nil for a file that cannot be read now: it is not judged).
    public static func mismatches(
        source: [ManifestEntry], plan: SyncPlan, replicaDigests: [String: [UInt8]],
        sourceDigest: (ManifestEntry) -> [UInt8]?
    ) -> [String] {
        let touched = Set(plan.operations.flatMap(\.touchedPaths))
        return source.compactMap { entry in
            guard entry.kind == .file, !touched.contains(entry.path), let replica = replicaDigests[entry.path],
                let digest = sourceDigest(entry), digest != replica
            else { return nil }
            return entry.path
        }
    }

    /// `plan` with `paths` sent again whole, before the directory attributes that always come last (and with
    /// each one's directory set back: the file lands by a rename into it).
    public static func resending(_ paths: [String], source: [ManifestEntry], in plan: SyncPlan) -> SyncPlan {
        let sizes = Dictionary(source.map { ($0.path, $0.size) }, uniquingKeysWith: { first, _ in first })
        return plan.inserting(paths.map { .sendFile(path: $0, size: sizes[$0] ?? 0, basis: .none) }, source: source)
    }
}
