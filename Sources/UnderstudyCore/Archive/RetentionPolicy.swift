/// Which archives to keep: the newest archive of each of the last `hourly` hours that have one, of the last
/// `daily` days, `weekly` ISO weeks and `monthly` months (the rule of rsnapshot's levels and borg's prune), plus
/// every archive younger than `keepWithin`. An archive kept by any rule is kept. Counting periods that *have*
/// an archive, not calendar periods, means a machine that was off for a week still keeps `daily` archives,
/// never fewer because of the gap.
public struct RetentionPolicy: Sendable, Equatable {
    public var hourly: Int
    public var daily: Int
    public var weekly: Int
    public var monthly: Int
    /// Seconds; 0 keeps nothing for its age alone.
    public var keepWithin: Double

    public init(hourly: Int = 0, daily: Int = 0, weekly: Int = 0, monthly: Int = 0, keepWithin: Double = 0) {
        self.hourly = hourly
        self.daily = daily
        self.weekly = weekly
        self.monthly = monthly
        self.keepWithin = keepWithin
    }

    public struct Archive: Sendable, Equatable, Hashable {
        public var id: String
        /// When it was taken, seconds since 1970.
        public var time: Double

        public init(id: String, time: Double) {
            self.id = id
            self.time = time
        }
    }

    public struct Decision: Sendable, Equatable {
        /// Kept, newest first, each with the rules that keep it ("daily", "within", ...).
        public var keep: [(Archive, [String])]
        /// To prune, oldest first (pruning the oldest first keeps the policy true if it stops half-way).
        public var prune: [Archive]

        public static func == (lhs: Decision, rhs: Decision) -> Bool {
            lhs.keep.map(\.0) == rhs.keep.map(\.0) && lhs.keep.map(\.1) == rhs.keep.map(\.1) && lhs.prune == rhs.prune
        }
    }

    /// Keeps everything when no rule is set: a policy that would prune all archives is a mistake, not a wish.
    public var keepsEverything: Bool {
        hourly == 0 && daily == 0 && weekly == 0 && monthly == 0 && keepWithin <= 0
    }

    public func decide(_ archives: [Archive], now: Double, calendar: ArchiveCalendar) -> Decision {
        let newestFirst = archives.sorted { ($0.time, $0.id) > ($1.time, $1.id) }
        var reasons: [String: [String]] = [:]
        if keepsEverything {
            for archive in newestFirst { reasons[archive.id] = ["no rule"] }
        }
        let levels: [(String, Int, (Double) -> Int)] = [
            ("hourly", hourly, calendar.hourNumber), ("daily", daily, calendar.dayNumber),
            ("weekly", weekly, calendar.weekNumber), ("monthly", monthly, calendar.monthNumber),
        ]
        for (name, count, bucket) in levels where count > 0 {
            var seen = Set<Int>()
            for archive in newestFirst {
                guard seen.count < count || seen.contains(bucket(archive.time)) else { break }
                if seen.insert(bucket(archive.time)).inserted { reasons[archive.id, default: []].append(name) }
            }
        }
        if keepWithin > 0 {
            for archive in newestFirst where now - archive.time < keepWithin {
                reasons[archive.id, default: []].append("within")
            }
        }
        let keep = newestFirst.compactMap { archive in reasons[archive.id].map { (archive, $0) } }
        let prune = newestFirst.filter { reasons[$0.id] == nil }.reversed()
        return Decision(keep: keep, prune: Array(prune))
    }
}
