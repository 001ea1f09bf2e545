import Testing
import UnderstudyCore

@Suite struct PointInTimeTests {
    let now = 1_795_000_000.0
    let paris = ArchiveCalendar(utcOffsetSeconds: 3600)

    @Test func parses_utc_offsets_localTimes_dates_andDurationsAgo() throws {
        let utc = ArchiveCalendar().time(year: 2026, month: 11, day: 22, hour: 10)
        #expect(try PointInTime.parse("2026-11-22T10:00:00Z", now: now, calendar: paris) == utc)
        #expect(try PointInTime.parse("2026-11-22T11:00:00+01:00", now: now, calendar: paris) == utc)
        #expect(try PointInTime.parse("2026-11-22 11:00", now: now, calendar: paris) == utc)
        #expect(try PointInTime.parse("2026-11-22 11:00:30", now: now, calendar: paris) == utc + 30)
        #expect(try PointInTime.parse("2026-11-22", now: now, calendar: paris) == utc - 11 * 3600)
        #expect(try PointInTime.parse("2h", now: now, calendar: paris) == now - 7200)
        #expect(try PointInTime.parse("1d12h", now: now, calendar: paris) == now - 1.5 * 86400)
        #expect(PointInTime.format(utc + 5) == "2026-11-22T10:00:05Z")
        #expect(PointInTime.compact(utc) == "20261122T100000Z")
    }

    @Test func refuses_whatIsNotATime() {
        for text in [
            "yesterday", "2026-13-01", "2026-11-22T25:00", "2026-11-22T10:00:00+5", "12", "", "2026-11-22T10:00Zx",
        ] {
            #expect(throws: PointInTime.ParseError.self, "\(text)") {
                try PointInTime.parse(text, now: now, calendar: paris)
            }
        }
    }

    @Test func refuses_aMomentBefore1970_insteadOfPrintingANegativeYear() {
        for text in ["100000d", "1969-12-31T23:59:59Z", "0001-01-01", "9999999999999999999999d"] {
            #expect(
                throws: PointInTime.ParseError(
                    text: text, reason: "it is before 1970-01-01, older than anything understudy keeps")
            ) {
                try PointInTime.parse(text, now: now, calendar: paris)
            }
        }
    }
}

@Suite struct VersionTimelineTests {
    typealias Version = VersionTimeline.Version

    @Test func picksTheVersionInPlace_atEachMoment() {
        let versions = [
            Version(id: 1, since: 10, until: 20), Version(id: 2, since: 20, until: 30),
            Version(id: -1, since: 30, until: nil),
        ]
        #expect(VersionTimeline.version(at: 5, of: versions, movedIn: []) == nil)
        #expect(VersionTimeline.version(at: 10, of: versions, movedIn: [])?.id == 1)
        #expect(VersionTimeline.version(at: 25, of: versions, movedIn: [])?.id == 2)
        #expect(VersionTimeline.version(at: 1000, of: versions, movedIn: [])?.id == -1)
    }

    @Test func aVersionWrittenWhileTheOldWasInPlace_doesNotWinBeforeItsRename() {
        // Version 2's file was created at 18 (a long transfer) and renamed over version 1 at 20.
        let versions = [Version(id: 1, since: 10, until: 20), Version(id: -1, since: 18, until: nil)]
        #expect(VersionTimeline.version(at: 19, of: versions, movedIn: [])?.id == 1)
        #expect(VersionTimeline.version(at: 20, of: versions, movedIn: [])?.id == -1)
    }

    @Test func contentMovedHere_countsFromItsArrival_notItsBirth() {
        let versions = [Version(id: -1, since: 10, until: nil)]
        #expect(VersionTimeline.version(at: 15, of: versions, movedIn: [40]) == nil)
        #expect(VersionTimeline.version(at: 45, of: versions, movedIn: [40])?.id == -1)
        // A gap after a deletion: nothing there.
        let deleted = [Version(id: 3, since: 0, until: 50), Version(id: -1, since: 60, until: nil)]
        #expect(VersionTimeline.version(at: 55, of: deleted, movedIn: []) == nil)
    }
}
