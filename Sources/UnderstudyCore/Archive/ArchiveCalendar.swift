/// Civil time for schedules and retention, without a clock or a time-zone database: seconds since 1970 and a
/// fixed offset from UTC (the engine passes the local offset in force). Weeks start on Monday (ISO 8601).
public struct ArchiveCalendar: Sendable, Equatable {
    public var utcOffsetSeconds: Int

    public init(utcOffsetSeconds: Int = 0) {
        self.utcOffsetSeconds = utcOffsetSeconds
    }

    public struct Civil: Sendable, Equatable {
        public var year: Int
        public var month: Int
        public var day: Int
        public var hour: Int
        public var minute: Int
        /// 1 = Monday ... 7 = Sunday.
        public var weekday: Int

        public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, weekday: Int) {
            self.year = year
            self.month = month
            self.day = day
            self.hour = hour
            self.minute = minute
            self.weekday = weekday
        }
    }

    /// Whole days since 1970-01-01 in local time.
    public func dayNumber(_ time: Double) -> Int {
        Self.floorDivide(Int((time + Double(utcOffsetSeconds)).rounded(.down)), 86400)
    }

    public func civil(_ time: Double) -> Civil {
        let local = Int((time + Double(utcOffsetSeconds)).rounded(.down))
        let days = Self.floorDivide(local, 86400)
        let seconds = local - days * 86400
        let (year, month, day) = Self.civilFromDays(days)
        // 1970-01-01 was a Thursday (4).
        let weekday = (Self.floorModulo(days + 3, 7)) + 1
        return Civil(
            year: year, month: month, day: day, hour: seconds / 3600, minute: seconds % 3600 / 60, weekday: weekday)
    }

    /// The instant of local `year-month-day hour:minute`.
    public func time(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0) -> Double {
        Double(Self.daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 - utcOffsetSeconds)
    }

    /// Bucket numbers: two times in the same hour/day/ISO week/month have the same number.
    public func hourNumber(_ time: Double) -> Int {
        Self.floorDivide(Int((time + Double(utcOffsetSeconds)).rounded(.down)), 3600)
    }

    public func weekNumber(_ time: Double) -> Int {
        // Day 0 was a Thursday; shifting by 3 makes Mondays start weeks.
        Self.floorDivide(dayNumber(time) + 3, 7)
    }

    public func monthNumber(_ time: Double) -> Int {
        let date = civil(time)
        return date.year * 12 + date.month - 1
    }

    // Howard Hinnant's days-from-civil algorithms (proleptic Gregorian calendar).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719468
        let era = floorDivide(z, 146097)
        let dayOfEra = z - era * 146097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func floorDivide(_ a: Int, _ b: Int) -> Int {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    static func floorModulo(_ a: Int, _ b: Int) -> Int {
        a - floorDivide(a, b) * b
    }
}
