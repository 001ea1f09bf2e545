/// When archives are taken: every hour at `minute`, or every day / week / month at `hour:minute` (weeks on
/// `weekday`, months on `dayOfMonth`, clamped to the month's last day). A run that was missed (machine off,
/// daemon stopped) is made once when the node is back, not once per missed slot, and the next slot stays where
/// the schedule puts it: levels never shift.
public struct ArchiveSchedule: Sendable, Equatable {
    public enum Every: String, Sendable, CaseIterable {
        case hourly, daily, weekly, monthly
    }

    public var every: Every
    public var hour: Int
    public var minute: Int
    /// 1 = Monday ... 7 = Sunday (weekly).
    public var weekday: Int
    /// 1...31 (monthly; 31 means the last day of every month).
    public var dayOfMonth: Int

    public init(every: Every, hour: Int = 0, minute: Int = 0, weekday: Int = 7, dayOfMonth: Int = 1) {
        self.every = every
        self.hour = hour
        self.minute = minute
        self.weekday = weekday
        self.dayOfMonth = dayOfMonth
    }

    /// The latest slot at or before `time`.
    public func slot(atOrBefore time: Double, calendar: ArchiveCalendar) -> Double {
        let date = calendar.civil(time)
        var candidate: Double
        switch every {
        case .hourly:
            candidate = calendar.time(
                year: date.year, month: date.month, day: date.day, hour: date.hour, minute: minute)
            if candidate > time { candidate -= 3600 }
        case .daily:
            candidate = calendar.time(year: date.year, month: date.month, day: date.day, hour: hour, minute: minute)
            if candidate > time { candidate -= 86400 }
        case .weekly:
            let back = ArchiveCalendar.floorModulo(date.weekday - weekday, 7)
            candidate =
                calendar.time(year: date.year, month: date.month, day: date.day, hour: hour, minute: minute) - Double(
                    back) * 86400
            if candidate > time { candidate -= 7 * 86400 }
        case .monthly:
            candidate = monthlySlot(year: date.year, month: date.month, calendar: calendar)
            if candidate > time {
                let previous = date.month == 1 ? (date.year - 1, 12) : (date.year, date.month - 1)
                candidate = monthlySlot(year: previous.0, month: previous.1, calendar: calendar)
            }
        }
        return candidate
    }

    /// True when a slot passed after the last run (or there never was one): take an archive now.
    public func isDue(lastRun: Double?, now: Double, calendar: ArchiveCalendar) -> Bool {
        guard let lastRun else { return true }
        return slot(atOrBefore: now, calendar: calendar) > lastRun
    }

    /// The next slot after `time`, for status ("next archive at ...").
    public func nextSlot(after time: Double, calendar: ArchiveCalendar) -> Double {
        // The slot after `time` is the latest slot at or before a point past it; step forward by the shortest
        // period until one is found (bounded: a month has at most 31 days).
        var probe = time + 1
        for _ in 0..<(32 * 24 + 2) {
            let slot = slot(atOrBefore: probe, calendar: calendar)
            if slot > time { return slot }
            probe += 3600
        }
        return probe
    }

    private func monthlySlot(year: Int, month: Int, calendar: ArchiveCalendar) -> Double {
        let next = month == 12 ? (year + 1, 1) : (year, month + 1)
        let lastDay = ArchiveCalendar.daysFromCivil(next.0, next.1, 1) - ArchiveCalendar.daysFromCivil(year, month, 1)
        return calendar.time(year: year, month: month, day: min(dayOfMonth, lastDay), hour: hour, minute: minute)
    }
}
