import Testing
import UnderstudyCore

struct ArchiveScheduleTests {
    let utc = ArchiveCalendar()

    @Test func daily_isDueOncePerDay_afterItsHour() {
        let schedule = ArchiveSchedule(every: .daily, hour: 2)
        let taken = utc.time(year: 2026, month: 11, day: 22, hour: 2, minute: 0)
        #expect(!schedule.isDue(lastRun: taken, now: taken + 3600 * 23, calendar: utc))
        #expect(schedule.isDue(lastRun: taken, now: taken + 86400, calendar: utc))
        #expect(schedule.isDue(lastRun: nil, now: taken, calendar: utc))
        #expect(schedule.nextSlot(after: taken, calendar: utc) == taken + 86400)
    }

    @Test func missedRuns_makeOneArchive_andTheNextSlotStaysOnSchedule() {
        let schedule = ArchiveSchedule(every: .daily, hour: 2)
        let taken = utc.time(year: 2026, month: 11, day: 1, hour: 2)
        // Off for five days; back at 14:37.
        let back = utc.time(year: 2026, month: 11, day: 6, hour: 14, minute: 37)
        #expect(schedule.isDue(lastRun: taken, now: back, calendar: utc))
        #expect(!schedule.isDue(lastRun: back, now: back + 60, calendar: utc))
        #expect(schedule.nextSlot(after: back, calendar: utc) == utc.time(year: 2026, month: 11, day: 7, hour: 2))
    }

    @Test func hourly_weekly_andMonthlySlots() {
        let hourly = ArchiveSchedule(every: .hourly, minute: 15)
        let at = utc.time(year: 2026, month: 11, day: 22, hour: 10, minute: 5)
        #expect(
            hourly.slot(atOrBefore: at, calendar: utc) == utc.time(year: 2026, month: 11, day: 22, hour: 9, minute: 15))
        let weekly = ArchiveSchedule(every: .weekly, hour: 3, weekday: 1)
        #expect(weekly.slot(atOrBefore: at, calendar: utc) == utc.time(year: 2026, month: 11, day: 16, hour: 3))
        let monthly = ArchiveSchedule(every: .monthly, hour: 1, dayOfMonth: 31)
        // The 31st of a 30-day month is its last day; February's is the 28th (or 29th).
        #expect(monthly.slot(atOrBefore: at, calendar: utc) == utc.time(year: 2026, month: 10, day: 31, hour: 1))
        #expect(monthly.nextSlot(after: at, calendar: utc) == utc.time(year: 2026, month: 11, day: 30, hour: 1))
        let march = utc.time(year: 2028, month: 3, day: 5)
        #expect(monthly.slot(atOrBefore: march, calendar: utc) == utc.time(year: 2028, month: 2, day: 29, hour: 1))
    }
}
