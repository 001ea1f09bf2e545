import NIOCore
import UnderstudyCore

/// The replica within a sync's scope, as its walk found it: its entries, or (a large tree compared whole) its
/// manifest already encoded as the walk went, so that the entries were never held whole; and the partial copies of
/// files a cut transfer left, by path and size.
package struct ReplicaDescription {
    /// Sorted by path; empty when `chunks` holds the manifest.
    package var entries: [ManifestEntry]
    /// The manifest's chunks, ready to send; nil: `entries` are the manifest.
    package var chunks: [ByteBuffer]?
    /// Entries walked.
    package var count: Int
    package var partials: [String: Int64]

    package init(entries: [ManifestEntry], partials: [String: Int64]) {
        self.entries = entries
        chunks = nil
        count = entries.count
        self.partials = partials
    }

    package init(_ encoded: ManifestStreamEncoder.Outcome, partials: [String: Int64]) {
        switch encoded {
        case .entries(let entries):
            self.init(entries: entries, partials: partials)
        case .chunks(let chunks, let count):
            self.init(entries: [], partials: partials)
            self.chunks = chunks
            self.count = count
        }
    }
}
