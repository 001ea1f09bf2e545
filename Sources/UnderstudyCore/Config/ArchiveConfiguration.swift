/// One archive schedule of a share (`[[groups.NAME.archives]]`): which subtrees, when, and how many to keep.
/// Each schedule is its own series of archives, named by `name` (default: its `every`), pruned by its own
/// retention; several schedules over the same paths give rsnapshot-like levels (hourly, daily, weekly...).
public struct ArchiveConfiguration: Sendable, Equatable {
    public static let defaultKeep: [ArchiveSchedule.Every: Int] = [.hourly: 24, .daily: 7, .weekly: 4, .monthly: 12]

    /// The series name: archives are called `<name>-<UTC time>`.
    public var name: String
    public var share: String
    /// Share-relative subtrees (or files) to archive; empty: the whole share.
    public var paths: [String]
    public var schedule: ArchiveSchedule
    public var retention: RetentionPolicy

    public init(
        name: String, share: String, paths: [String] = [], schedule: ArchiveSchedule, retention: RetentionPolicy
    ) {
        self.name = name
        self.share = share
        self.paths = paths
        self.schedule = schedule
        self.retention = retention
    }

    /// The retention of a series with `keep` archives of its own level and `keepWithin` seconds.
    public static func retention(every: ArchiveSchedule.Every, keep: Int, keepWithin: Double) -> RetentionPolicy {
        switch every {
        case .hourly: RetentionPolicy(hourly: keep, keepWithin: keepWithin)
        case .daily: RetentionPolicy(daily: keep, keepWithin: keepWithin)
        case .weekly: RetentionPolicy(weekly: keep, keepWithin: keepWithin)
        case .monthly: RetentionPolicy(monthly: keep, keepWithin: keepWithin)
        }
    }
}
