import Synchronization

/// One connection's use of small-file dictionaries on the sending side: which ones it already sent (each travels
/// once per connection, before the first file compressed with it), and the dictionary of the share being synced.
package final class DictionaryOffer: Sendable {
    private let sent = Mutex(Set<UInt32>())

    package init() {}

    /// True the first time `id` is asked about on this connection: the dictionary must be sent now.
    package func firstUse(of id: UInt32) -> Bool {
        sent.withLock { $0.insert(id).inserted }
    }
}
