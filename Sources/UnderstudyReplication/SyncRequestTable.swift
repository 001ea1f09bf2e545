import NIOConcurrencyHelpers
import UnderstudySupport

/// Each group's `SyncRequests`, by group name: the standby's loop of a group waits on its own, and `understudy sync`
/// wakes them. A reload that adds or removes a group adds or removes its entry.
package final class SyncRequestTable: Sendable, ExpressibleByDictionaryLiteral {
    private let table: NIOLockedValueBox<[String: SyncRequests]>

    package init(_ requests: [String: SyncRequests] = [:]) {
        table = NIOLockedValueBox(requests)
    }

    package convenience init(dictionaryLiteral elements: (String, SyncRequests)...) {
        self.init(Dictionary(uniqueKeysWithValues: elements))
    }

    package subscript(group: String) -> SyncRequests? {
        table.withLockedValue { $0[group] }
    }

    /// The groups that have an entry, in name order.
    package var groups: [String] { table.withLockedValue { $0.keys.sorted() } }

    /// Gives `group` an entry (kept if it has one). Returns it.
    @discardableResult
    package func add(group: String, clock: any EngineClock) -> SyncRequests {
        table.withLockedValue { table in
            if let existing = table[group] { return existing }
            let requests = SyncRequests(clock: clock)
            table[group] = requests
            return requests
        }
    }

    /// `group` has no entry any more (a reload removed it).
    package func remove(group: String) {
        table.withLockedValue { $0[group] = nil }
    }
}
