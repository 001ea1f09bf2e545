import UnderstudyCore

/// The difference between two manifests sorted by path, by one merge pass (no hashing of 20,000 paths).
package enum ManifestChanges {
    /// Both sides keep the last full manifest of a connection as the base of the next one only up to this many
    /// entries: past it the memory (about 170 bytes an entry, on each side) costs more than resending the
    /// compressed manifest every `resync_interval`.
    package static let baseLimit = 200_000

    package static func between(
        _ old: [ManifestEntry], _ new: [ManifestEntry]
    ) -> (changed: [ManifestEntry], removed: [String]) {
        var changed: [ManifestEntry] = []
        var removed: [String] = []
        var i = 0
        var j = 0
        while i < old.count || j < new.count {
            if j == new.count || (i < old.count && old[i].path < new[j].path) {
                removed.append(old[i].path)
                i += 1
            } else if i == old.count || new[j].path < old[i].path {
                changed.append(new[j])
                j += 1
            } else {
                if old[i] != new[j] { changed.append(new[j]) }
                i += 1
                j += 1
            }
        }
        return (changed, removed)
    }
}
