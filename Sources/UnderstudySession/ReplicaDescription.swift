import UnderstudyCore

/// The replica within a sync's scope, as its walk found it: its entries, and the partial copies of files a cut
/// transfer left, by path and size.
package struct ReplicaDescription {
    /// Sorted by path.
    package var entries: [ManifestEntry]
    package var partials: [String: Int64]

    package init(entries: [ManifestEntry], partials: [String: Int64]) {
        self.entries = entries
        self.partials = partials
    }
}
