import Foundation
import Testing
@testable import UnderstudyNode
@testable import UnderstudyState

@Suite("StateDatabase event log")
struct StateDatabaseEventTests {
    @Test func recentEvents_areNewestFirst_limited_andFilteredByShare() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            let start = Date(timeIntervalSinceReferenceDate: 785_000_000.5)
            var ids: [Int64] = []
            for index in 0..<10 {
                ids.append(
                    try database.appendEvent(
                        EventRecord(
                            time: start.addingTimeInterval(Double(index)),
                            level: index == 3 ? "error" : "info",
                            kind: "sync-finished",
                            share: index.isMultiple(of: 2) ? "g/even" : (index == 9 ? nil : "g/odd"),
                            message: "event \(index)")))
            }
            #expect(ids == ids.sorted() && Set(ids).count == 10)

            let latest = try database.recentEvents(limit: 3)
            #expect(latest.map(\.message) == ["event 9", "event 8", "event 7"])
            #expect(latest.map(\.id) == ids.reversed().prefix(3).map { $0 })
            #expect(latest[0].share == nil)
            #expect(latest[0].time == start.addingTimeInterval(9))

            let odd = try database.recentEvents(limit: 10, share: "g/odd")
            #expect(odd.map(\.message) == ["event 7", "event 5", "event 3", "event 1"])
            #expect(odd.first { $0.message == "event 3" }?.level == "error")

            #expect(try database.recentEvents(limit: 100).count == 10)
            #expect(try database.recentEvents(limit: 0).isEmpty)
            #expect(try database.recentEvents(limit: 5, share: "g/none").isEmpty)
        }
    }

    @Test func newestFirst_followsAppendOrder_whenClockStepsBack() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            let now = Date()
            try database.appendEvent(EventRecord(time: now, level: "info", kind: "a", message: "first"))
            try database.appendEvent(
                EventRecord(time: now.addingTimeInterval(-3600), level: "warning", kind: "b", message: "second"))
            #expect(try database.recentEvents(limit: 2).map(\.message) == ["second", "first"])
        }
    }

    @Test func refuses_unknownLevel_andWritesNothing() throws {
        try withStateTestDirectory { temp in
            let database = try StateDatabase(directory: temp.path)
            let error = try #require(throws: StateError.self) {
                try database.appendEvent(EventRecord(time: Date(), level: "debug", kind: "x", message: "m"))
            }
            #expect(error.code == .invalidRecord)
            #expect(error.message.contains("debug"))
            #expect(try database.recentEvents(limit: 10).isEmpty)
        }
    }
}
