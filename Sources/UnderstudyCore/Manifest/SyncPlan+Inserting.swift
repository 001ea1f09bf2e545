extension SyncPlan {
    /// This plan with `added` put before the directories' own attributes, which always come last. Each added
    /// operation changes its parent directory (a file lands by a rename into it, a deletion takes a name out), so
    /// every parent gets its attributes from `source` set back too, even when the stat comparison found the
    /// directory equal; deepest first, like the planner's.
    public func inserting(_ added: [SyncOperation], source: [ManifestEntry]) -> SyncPlan {
        guard !added.isEmpty else { return self }
        // The source entries of the added operations' parents only (not a map of every entry of a large tree).
        let parents = Set(added.flatMap(\.touchedPaths).compactMap(RelativePath.parent))
        var byPath: [String: ManifestEntry] = [:]
        for entry in source where parents.contains(entry.path) { byPath[entry.path] = byPath[entry.path] ?? entry }
        var operations = self.operations
        var trailing = operations.count
        while trailing > 0, case .setDirectoryAttributes = operations[trailing - 1] { trailing -= 1 }
        var directories: [String: FileAttributes] = [:]
        for case .setDirectoryAttributes(let path, let attributes) in operations[trailing...] {
            directories[path] = attributes
        }
        for operation in added {
            for path in operation.touchedPaths {
                if let parent = RelativePath.parent(path), directories[parent] == nil,
                    let entry = byPath[parent], entry.kind == .directory
                {
                    directories[parent] = entry.attributes
                }
            }
        }
        let directoryAttributes = directories.sorted { $0.key > $1.key }.map {
            SyncOperation.setDirectoryAttributes(path: $0.key, attributes: $0.value)
        }
        operations.replaceSubrange(trailing..., with: added + directoryAttributes)
        return SyncPlan(operations: operations)
    }
}
