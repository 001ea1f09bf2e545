import Testing
import UnderstudyCore

/// Retention with an injected clock: what remains after weeks of scheduled runs, pruning as it goes.
struct RetentionPolicyTests {
    let utc = ArchiveCalendar()

    /// Runs the schedule every 10 minutes from `start` for `days`, skipping the times in `off`, taking an archive
    /// when due and pruning by `policy` after each; returns what is left.
    func simulate(
        _ schedule: ArchiveSchedule, _ policy: RetentionPolicy, days: Int, off: [ClosedRange<Double>] = []
    ) -> [RetentionPolicy.Archive] {
        let start = utc.time(year: 2026, month: 1, day: 1)
        var archives: [RetentionPolicy.Archive] = []
        var lastRun: Double?
        var now = start
        while now < start + Double(days) * 86400 {
            defer { now += 600 }
            if off.contains(where: { $0.contains(now) }) { continue }
            guard schedule.isDue(lastRun: lastRun, now: now, calendar: utc) else { continue }
            archives.append(.init(id: "a\(Int(now))", time: now))
            lastRun = now
            let decision = policy.decide(archives, now: now, calendar: utc)
            let pruned = Set(decision.prune.map(\.id))
            archives.removeAll { pruned.contains($0.id) }
        }
        return archives
    }

    @Test func hourlyRunsForSixtyDays_keepTheLevelsAsked() {
        let policy = RetentionPolicy(hourly: 24, daily: 7, weekly: 4, monthly: 3)
        let left = simulate(ArchiveSchedule(every: .hourly), policy, days: 60)
        // 24 hourly (today's and yesterday's last hours), then one per earlier day up to 7 days, one per earlier
        // week up to 4, one per earlier month up to 3; the rules overlap on the newest ones.
        let days = Set(left.map { utc.dayNumber($0.time) })
        let weeks = Set(left.map { utc.weekNumber($0.time) })
        let months = Set(left.map { utc.monthNumber($0.time) })
        #expect(left.filter { left.last!.time - $0.time < 24 * 3600 }.count == 24)
        #expect(days.count >= 7)
        #expect(weeks.count >= 4)
        #expect(months.count == 3)
        #expect(left.count < 24 + 7 + 4 + 3)
        // Every archive left is kept by some rule, and nothing the rules keep was pruned.
        let decision = policy.decide(left, now: left.last!.time, calendar: utc)
        #expect(decision.prune.isEmpty)
    }

    @Test func dailyKeepSeven_holdsExactlySevenDays() {
        let left = simulate(ArchiveSchedule(every: .daily, hour: 2), RetentionPolicy(daily: 7), days: 30)
        #expect(left.count == 7)
        let days = left.map { utc.dayNumber($0.time) }
        #expect(days == Array(days.first!...days.first! + 6))
    }

    @Test func aMachineOffForAWeek_stillKeepsSevenDailyArchives_andShiftsNothing() {
        let start = utc.time(year: 2026, month: 1, day: 1)
        let off = [start + 10 * 86400...start + 17 * 86400]
        let left = simulate(ArchiveSchedule(every: .daily, hour: 2), RetentionPolicy(daily: 7), days: 20, off: off)
        #expect(left.count == 7)
        // After the gap the archives are at 02:00 again (the first one when the machine came back).
        let times = left.map { utc.civil($0.time) }
        #expect(times.filter { $0.hour == 2 && $0.minute == 0 }.count >= 6)
    }

    @Test func keepWithin_keepsEverythingYoungerThanIt() {
        let left = simulate(ArchiveSchedule(every: .hourly), RetentionPolicy(daily: 2, keepWithin: 48 * 3600), days: 10)
        #expect(left.filter { left.last!.time - $0.time < 48 * 3600 }.count == 48)
        #expect(left.count == 48 + 1 || left.count == 48)
    }

    @Test func prunesOldestFirst_andNeverEverythingWithoutARule() {
        let archives = (0..<5).map { RetentionPolicy.Archive(id: "a\($0)", time: Double($0) * 86400) }
        let decision = RetentionPolicy(daily: 2).decide(archives, now: 5 * 86400, calendar: utc)
        #expect(decision.prune.map(\.id) == ["a0", "a1", "a2"])
        #expect(decision.keep.map(\.0.id) == ["a4", "a3"])
        #expect(decision.keep.first?.1 == ["daily"])
        #expect(RetentionPolicy().decide(archives, now: 0, calendar: utc).prune.isEmpty)
    }
}
