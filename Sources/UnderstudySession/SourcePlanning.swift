import UnderstudyCore

/// The primary's plan for one sync, from its source's entries and the replica's side (Core's `SyncPlanner`): names
/// the standby cannot store are left out, every rename carries the content hash the standby checks, a rename the
/// standby refused before goes as a file, and a verification adds the files whose content differs. Pure: the
/// hashes come from closures (the index, or reading the file), so a node and the in-memory tests plan alike.
package struct SourcePlanning {
    package struct Result {
        package var plan: SyncPlan
        /// A verification's files whose replica content differed though size and time agreed (sent again).
        package var mismatches: [String] = []
        /// Files a verification compared by content.
        package var compared = 0
    }

    package let planner: SyncPlanner
    /// Names the standby's file system cannot store: left out, with everything under them.
    package var unusable: Set<String> = []
    /// Renames the standby refused before ("from\0to": the supposed source held other content).
    package var refusedRenames: Set<String> = []

    package init(planner: SyncPlanner, unusable: Set<String> = [], refusedRenames: Set<String> = []) {
        self.planner = planner
        self.unusable = unusable
        self.refusedRenames = refusedRenames
    }

    /// - Parameters:
    ///   - digests: the replica's content digests, for a verification (nil: none).
    ///   - surroundings: for one slice of a sliced comparison, what its plan needs from outside it.
    ///   - indexedHash: the hash the index holds of a file renamed here, found by inode (nil: none).
    ///   - readHash: the hash of a source file now: read, or its index record's while that still describes the file
    ///     (nil: it cannot be read, or changed meanwhile).
    package func plan(
        source: [ManifestEntry], replica: [String: ManifestEntry], partials: [String: Int64],
        digests: [String: [UInt8]]?, surroundings: SliceSurroundings = SliceSurroundings(),
        indexedHash: (ManifestEntry) -> [UInt8]?, readHash: (String) -> [UInt8]?
    ) -> Result {
        let usable = usableEntries(source)
        let planned = planner.plan(
            source: usable, replicaByPath: replica, partials: partials, surroundings: surroundings)
        let renamesFilled = fillRenameHashes(planned, source: usable, indexedHash: indexedHash, readHash: readHash)
        guard let digests else { return Result(plan: renamesFilled) }
        // The source's digest: `readHash` takes it from the index when the file is provably unchanged since it was
        // read.
        let mismatches = ContentVerification.mismatches(source: usable, plan: renamesFilled, replicaDigests: digests) {
            entry in
            entry.contentHash ?? readHash(entry.path)
        }
        let compared = usable.lazy.filter { $0.kind == .file && digests[$0.path] != nil }.count
        return Result(
            plan: ContentVerification.resending(mismatches, source: usable, in: renamesFilled),
            mismatches: mismatches, compared: compared)
    }

    /// The entries whose name (and every ancestor's) the standby can store: a lookup per component, not per
    /// unusable path.
    private func usableEntries(_ entries: [ManifestEntry]) -> [ManifestEntry] {
        guard !unusable.isEmpty else { return entries }
        return entries.filter { entry in
            var path = Substring(entry.path)
            while true {
                if unusable.contains(String(path)) { return false }
                guard let slash = path.lastIndex(of: "/") else { return true }
                path = path[..<slash]
            }
        }
    }

    /// Every rename carries the SHA-256 of the source file, so the standby can check it moves the right content:
    /// from the scan when it carries one, from the index entry of the same inode under its old name, or from
    /// `readHash` (the index's record of the new path while it still describes the file, else the file read). A rename
    /// that cannot be hashed is left out: the next sync sees a new file.
    private func fillRenameHashes(
        _ plan: SyncPlan, source: [ManifestEntry], indexedHash: (ManifestEntry) -> [UInt8]?,
        readHash: (String) -> [UInt8]?
    ) -> SyncPlan {
        var named = Set<String>()
        for case .rename(let from, let to, _) in plan.operations { named.formUnion([from, to]) }
        guard !named.isEmpty else { return plan }
        // The source entries of the renames' two names only (not a map of every entry of a large tree).
        var sourceByPath: [String: ManifestEntry] = [:]
        for entry in source where named.contains(entry.path) {
            sourceByPath[entry.path] = sourceByPath[entry.path] ?? entry
        }
        var unresolved: [String] = []
        var deletions: [SyncOperation] = []
        var operations = plan.operations.map { operation -> SyncOperation in
            // The standby refused this rename before (same size and time, other content): send the file, and
            // delete the supposed source when the source tree no longer has it.
            if case .rename(let from, let to, _) = operation, let entry = sourceByPath[to],
                refusedRenames.contains(from + "\u{0}" + to)
            {
                if sourceByPath[from] == nil { deletions.append(.delete(path: from)) }
                return .sendFile(path: to, size: entry.size, basis: .none)
            }
            guard case .rename(let from, let to, nil) = operation, let entry = sourceByPath[to] else {
                return operation
            }
            if let hash = entry.contentHash ?? indexedHash(entry) ?? readHash(to) {
                return .rename(from: from, to: to, contentHash: hash)
            }
            unresolved.append(to)
            return operation
        }
        if !unresolved.isEmpty {
            // Could not be hashed (changed or unreadable): the next sync sees them as new files.
            operations.removeAll { if case .rename(_, let to, nil) = $0 { unresolved.contains(to) } else { false } }
        }
        // The supposed sources' deletions go before the directories' attributes, which are set back after them.
        return SyncPlan(operations: operations).inserting(deletions, source: source)
    }
}
