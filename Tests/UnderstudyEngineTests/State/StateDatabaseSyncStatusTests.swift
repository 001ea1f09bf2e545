import Foundation
import Testing
@testable import UnderstudyNode
@testable import UnderstudyState

@Suite("StateDatabase sync status")
struct StateDatabaseSyncStatusTests {
    @Test func returnsNil_forShareNeverSaved() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            #expect(try database.loadSyncStatus(share: "g/none") == nil)
        }
    }

    @Test func roundTripsEveryField_withExactDates() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            // Sub-microsecond fractions: a lossy date encoding would change these.
            let status = SyncStatusRecord(
                share: "mail/spool", state: "syncing",
                filesTotal: 20_000, filesDone: 12_345, bytesTotal: 9_000_000_000, bytesDone: 4_500_000_001,
                bytesSent: 123, bytesReceived: .max,
                lastSyncAt: Date(timeIntervalSinceReferenceDate: 785_000_000.123456789),
                lastError: "peer refused: certificate from another cluster",
                updatedAt: Date())
            try database.saveSyncStatus(status)
            #expect(try database.loadSyncStatus(share: "mail/spool") == status)
        }
    }

    @Test func save_replacesThePreviousStatus_ofTheSameShareOnly() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            let first = SyncStatusRecord(
                share: "g/a", state: "failed", lastSyncAt: Date(), lastError: "disk full", updatedAt: Date())
            let other = SyncStatusRecord(share: "g/b", state: "in-sync", updatedAt: Date())
            try database.saveSyncStatus(first)
            try database.saveSyncStatus(other)

            var second = first
            second.state = "in-sync"
            second.lastError = nil
            second.lastSyncAt = nil
            second.filesDone = 5
            second.updatedAt = Date()
            try database.saveSyncStatus(second)

            #expect(try database.loadSyncStatus(share: "g/a") == second)
            #expect(try database.loadSyncStatus(share: "g/b") == other)
        }
    }
}
