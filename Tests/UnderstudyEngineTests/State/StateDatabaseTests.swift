import Foundation
import Testing
@testable import UnderstudyNode
@testable import UnderstudyState

@Suite("StateDatabase opening, migrations and refusals")
struct StateDatabaseTests {
    @Test func createsPrivateDirectoryAndRunsMigrations_onFreshDirectory() throws {
        try withStateTestDirectory { temp in
            let directory = temp.sub("var/lib/understudy")
            let database = try StateDatabase(directory: directory)

            #expect(database.path == directory + "/state.sqlite")
            #expect(try database.appliedMigrations() == StateSchema.current.migrations.map(\.identifier))
            #expect(try database.appliedMigrations().allSatisfy { $0.hasPrefix("v") })
            #expect(try permissions(directory) == 0o700)
            #expect(try permissions(database.path) == 0o600)
            // SQLite gives the -wal file the database file's mode; it exists while the pool is open.
            #expect(try permissions(database.path + "-wal") == 0o600)
            let durability = try database.writerDurability()
            #expect(durability.journalMode == "wal")
            #expect(durability.synchronous == 2, "synchronous must be FULL (2)")
        }
    }

    @Test func keepsData_whenReopened() throws {
        try withStateTestDirectory { temp in
            let record = FileIndexRecord(
                path: "docs/a.txt", size: 12, mtimeSeconds: 1_700_000_000, mtimeNanoseconds: 5,
                ctimeSeconds: 1_700_000_001, ctimeNanoseconds: 6, inode: 42,
                contentHash: Array(repeating: 0xAB, count: 32))
            let status = SyncStatusRecord(share: "web/docs", state: "in-sync", filesTotal: 1, updatedAt: Date())
            let event = EventRecord(
                time: Date(), level: "info", kind: "sync-finished", share: "web/docs", message: "done")
            do {
                let database = try StateDatabase(directory: temp.path)
                try database.upsertFileIndex(share: "web/docs", [record])
                try database.saveSyncStatus(status)
                try database.appendEvent(event)
            }
            let reopened = try StateDatabase(directory: temp.path)
            #expect(try reopened.appliedMigrations() == StateSchema.current.migrations.map(\.identifier))
            #expect(try reopened.fileIndex(share: "web/docs") == ["docs/a.txt": record])
            #expect(try reopened.loadSyncStatus(share: "web/docs") == status)
            let events = try reopened.recentEvents(limit: 10)
            #expect(events.count == 1)
            #expect(events.first?.message == "done")
        }
    }

    @Test func refuses_fileThatIsNotADatabase() throws {
        try withStateTestDirectory { temp in
            let path = temp.sub("state.sqlite")
            let garbage = String(repeating: "this is not sqlite, just a text file\n", count: 200)
            try garbage.write(toFile: path, atomically: false, encoding: .utf8)

            let error = try #require(throws: StateError.self) {
                try StateDatabase(directory: temp.path)
            }
            #expect(error.code == .notADatabase)
            #expect(error.path == path)
            #expect(error.message.contains(path))
            // Refusing must not have touched the file.
            #expect(try String(contentsOfFile: path, encoding: .utf8) == garbage)
        }
    }

    @Test func refuses_databaseMigratedByNewerBinary() throws {
        try withStateTestDirectory { temp in
            var newer = StateSchema.current
            newer.migrations.append(.init(identifier: "v99-future-table", sql: "CREATE TABLE future (x INTEGER)"))
            do {
                let database = try StateDatabase(directory: temp.path, schema: newer)
                try database.saveSyncStatus(SyncStatusRecord(share: "g/s", state: "in-sync", updatedAt: Date()))
            }

            let error = try #require(throws: StateError.self) {
                try StateDatabase(directory: temp.path)
            }
            #expect(error.code == .newerSchema)
            #expect(error.message.contains("v99-future-table"))
            #expect(error.message.contains(temp.sub("state.sqlite")))
            #expect(error.message.contains("refusing to downgrade"))

            // The refusal left the newer database as it was.
            let again = try StateDatabase(directory: temp.path, schema: newer)
            #expect(try again.appliedMigrations().last == "v99-future-table")
            #expect(try again.loadSyncStatus(share: "g/s")?.state == "in-sync")
        }
    }

    @Test func refuses_directoryPathThatIsARegularFile() throws {
        try withStateTestDirectory { temp in
            let path = temp.sub("not-a-dir")
            try "x".write(toFile: path, atomically: false, encoding: .utf8)

            let error = try #require(throws: StateError.self) {
                try StateDatabase(directory: path)
            }
            #expect(error.code == .directoryUnavailable)
            #expect(error.message.contains(path))
        }
    }

    @Test func refuses_databasePathThatIsADirectory() throws {
        try withStateTestDirectory { temp in
            try FileManager.default.createDirectory(
                atPath: temp.sub("state.sqlite"), withIntermediateDirectories: false)

            let error = try #require(throws: StateError.self) {
                try StateDatabase(directory: temp.path)
            }
            #expect(error.code == .notADatabase)
            #expect(error.message.contains(temp.sub("state.sqlite")))
        }
    }

    @Test func concurrentReadsWhileTwoTasksWrite_allSucceed() async throws {
        try await withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            let rounds = 200
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<2 {
                    group.addTask {
                        for round in 0..<rounds {
                            try database.upsertFileIndex(
                                share: "g/s",
                                [
                                    FileIndexRecord(
                                        path: "w\(writer)/\(round)", size: Int64(round), mtimeSeconds: 0,
                                        mtimeNanoseconds: 0, ctimeSeconds: 0, ctimeNanoseconds: 0,
                                        inode: UInt64(round), contentHash: nil)
                                ])
                            try database.appendEvent(
                                EventRecord(
                                    time: Date(), level: "info", kind: "test", share: "g/s",
                                    message: "\(writer)-\(round)"))
                        }
                    }
                }
                for _ in 0..<2 {
                    group.addTask {
                        var lastCount = 0
                        for _ in 0..<rounds {
                            let count = try database.fileIndex(share: "g/s").count
                            // A reader sees a committed snapshot, and the index only grows here.
                            #expect(count >= lastCount)
                            lastCount = count
                            _ = try database.recentEvents(limit: 5, share: "g/s")
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try database.fileIndex(share: "g/s").count == 2 * rounds)
            #expect(try database.recentEvents(limit: 10_000).count == 2 * rounds)
        }
    }
}

private func permissions(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}
