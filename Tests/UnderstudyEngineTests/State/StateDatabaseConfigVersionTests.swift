import Foundation
import Testing
@testable import UnderstudyState
import UnderstudyCore

/// The tracked configuration's versions in the state database: numbered per file and per group, taken from a peer
/// by sequence, the oldest dropped past the limit.
@Suite("StateDatabase configuration versions")
struct StateDatabaseConfigVersionTests {
    @Test func versions_areNumberedPerFile_inOneSequencePerGroup_andReadNewestFirst() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            let a1 = try database.recordConfigVersion(
                group: "web", path: "/etc/a", takenAt: 1, content: Array("one".utf8), digest: "d1")
            let b1 = try database.recordConfigVersion(
                group: "web", path: "/etc/b", takenAt: 2, content: [], digest: "d2")
            let a2 = try database.recordConfigVersion(
                group: "web", path: "/etc/a", takenAt: 3, content: nil, digest: "", note: "gone")
            _ = try database.recordConfigVersion(group: "mail", path: "/etc/a", takenAt: 4, content: [1], digest: "d")
            #expect([a1.version, b1.version, a2.version] as [Int] == [1, 1, 2])
            #expect([a1.sequence, b1.sequence, a2.sequence] as [Int] == [1, 2, 3])
            #expect(try database.configHistory(group: "web", path: nil, limit: 10).map(\.version) == [2, 1, 1])
            #expect(try database.configHistory(group: "web", path: "/etc/a", limit: 1).first?.size == nil)
            #expect(try database.configVersion(group: "web", path: "/etc/b", version: 1)?.content == [])
            #expect(try database.latestConfigVersions(group: "web").map(\.version) == [2, 1])
            #expect(try database.lastConfigSequence(group: "web") == 3)
            #expect(try database.lastConfigSequence(group: "none") == 0)
        }
    }

    @Test func aPeersVersions_areTakenOnce_afterASequence_withinAByteLimit() throws {
        try withStateTestDirectory { temp in
            let primary = try StateDatabase(directory: temp.sub("p"))
            let standby = try StateDatabase(directory: temp.sub("s"))
            for index in 1...5 {
                try primary.recordConfigVersion(
                    group: "web", path: "/etc/a", takenAt: Double(index), content: [UInt8](repeating: 7, count: 100),
                    digest: "d\(index)")
            }
            let history = try #require(try primary.configHistoryID(group: "web"))
            let first = try primary.configVersions(group: "web", after: 0, byteLimit: 250)
            #expect(first.versions.map(\.sequence) == [1, 2] && first.highest == 5)
            #expect(try standby.takeConfigVersions(first.versions, group: "web", history: history) == 2)
            #expect(try standby.takeConfigVersions(first.versions, group: "web", history: history) == 0)
            #expect(try standby.configHistoryID(group: "web") == history)
            let rest = try primary.configVersions(group: "web", after: 2, byteLimit: 10)
            #expect(rest.versions.map(\.sequence) == [3], "at least one, whatever the limit")
            #expect(try standby.takeConfigVersions(rest.versions, group: "web", history: history) == 1)
            #expect(try standby.lastConfigSequence(group: "web") == 3)

            // Another history replaces the copy whole, in one transaction.
            let other = [
                ConfigVersion(
                    group: "web", path: "/etc/b", version: 1, sequence: 1, takenAt: 9, content: [1], digest: "x")
            ]
            #expect(try standby.takeConfigVersions(other, group: "web", history: "other", replacing: true) == 1)
            #expect(try standby.configHistory(group: "web", path: nil, limit: 10).map(\.path) == ["/etc/b"])
            #expect(try standby.configHistoryID(group: "web") == "other")
        }
    }

    @Test func theOldestVersionsOfAFile_goPastTheLimit() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            for index in 1...(StateDatabase.configVersionsKept + 5) {
                try database.recordConfigVersion(
                    group: "web", path: "/etc/a", takenAt: Double(index), content: [1], digest: "d")
            }
            let kept = try database.configHistory(group: "web", path: "/etc/a", limit: 1000)
            #expect(kept.count == StateDatabase.configVersionsKept)
            #expect(kept.last?.version == 6 && kept.first?.version == StateDatabase.configVersionsKept + 5)
        }
    }
}
