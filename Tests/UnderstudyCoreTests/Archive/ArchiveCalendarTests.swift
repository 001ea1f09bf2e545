import Testing
import UnderstudyCore

struct ArchiveCalendarTests {
    @Test func knowsCivilDatesAndWeekdays() {
        let utc = ArchiveCalendar()
        // 2026-11-22 10:16:42 UTC, a Sunday.
        let date = utc.civil(1_795_342_602)
        #expect(date == ArchiveCalendar.Civil(year: 2026, month: 11, day: 22, hour: 10, minute: 16, weekday: 7))
        #expect(utc.civil(0) == ArchiveCalendar.Civil(year: 1970, month: 1, day: 1, hour: 0, minute: 0, weekday: 4))
        #expect(
            utc.civil(-1) == ArchiveCalendar.Civil(year: 1969, month: 12, day: 31, hour: 23, minute: 59, weekday: 3))
        #expect(utc.civil(utc.time(year: 2024, month: 2, day: 29, hour: 12)).day == 29)
    }

    @Test func roundTripsEveryDayOfFourHundredYears_plusLocalOffset() {
        let local = ArchiveCalendar(utcOffsetSeconds: 3600)
        for days in stride(from: -146_097, to: 146_097, by: 37) {
            let time = Double(days) * 86400 + 3 * 3600 + 60
            let date = local.civil(time)
            #expect(
                local.time(year: date.year, month: date.month, day: date.day, hour: date.hour, minute: date.minute)
                    == time)
        }
        // Local midnight is 23:00 UTC the day before at +01:00.
        #expect(local.civil(ArchiveCalendar().time(year: 2026, month: 1, day: 1) - 3600).day == 1)
    }

    @Test func weeksStartOnMonday_andMonthsAreCalendarMonths() {
        let utc = ArchiveCalendar()
        let sunday = utc.time(year: 2026, month: 11, day: 22, hour: 23)
        let monday = utc.time(year: 2026, month: 11, day: 23, hour: 1)
        let previousMonday = utc.time(year: 2026, month: 11, day: 16)
        #expect(utc.weekNumber(sunday) == utc.weekNumber(previousMonday))
        #expect(utc.weekNumber(monday) == utc.weekNumber(sunday) + 1)
        #expect(
            utc.monthNumber(utc.time(year: 2026, month: 12, day: 31)) + 1
                == utc.monthNumber(utc.time(year: 2027, month: 1, day: 1)))
    }
}
