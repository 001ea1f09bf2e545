import Testing
import UnderstudyCore

/// `[[groups.NAME.archives]]` and a share's `history` / `archive_dir`.
@Suite struct ConfigurationValidatorArchivesTests {
    static func cluster(share: String = "", archives: String) -> String {
        """
        cluster = "office"
        [nodes.alpha]
        address = "10.0.0.1:7700"
        [nodes.beta]
        address = "10.0.0.2:7700"
        [groups.files]
        primary = "alpha"
        standby = "beta"
        [[groups.files.shares]]
        name = "data"
        source = "/srv/data"
        \(share)
        \(archives)
        """
    }

    @Test func reads_schedules_history_andTheDefaultArchiveDirectory() throws {
        let text = Self.cluster(
            share: "history = \"30d\"",
            archives: """
                [[groups.files.archives]]
                paths = ["db/", "etc/app.conf"]
                every = "daily"
                at = "02:30"
                keep = 7
                [[groups.files.archives]]
                every = "weekly"
                on = "saturday"
                keep_within = "48h"
                [[groups.files.archives]]
                name = "quarter"
                every = "hourly"
                at = ":15"
                [[groups.files.archives]]
                every = "monthly"
                day = 31
                """)
        let group = try #require(try loadConfiguration(text).get().groups["files"])
        let share = group.shares[0]
        #expect(share.history == ConfigDuration(seconds: 30 * 86400))
        #expect(share.archiveDirectory == "/srv/.data.understudy-archives")
        #expect(group.archives.map(\.name) == ["daily", "weekly", "quarter", "monthly"])
        #expect(group.archives[0].paths == ["db", "etc/app.conf"])
        #expect(group.archives[0].schedule == ArchiveSchedule(every: .daily, hour: 2, minute: 30))
        #expect(group.archives[0].retention == RetentionPolicy(daily: 7))
        #expect(group.archives[1].schedule.weekday == 6)
        #expect(group.archives[1].retention == RetentionPolicy(weekly: 4, keepWithin: 48 * 3600))
        #expect(group.archives[2].schedule == ArchiveSchedule(every: .hourly, minute: 15))
        #expect(group.archives[2].retention == RetentionPolicy(hourly: 24))
        #expect(group.archives[3].schedule.dayOfMonth == 31)
        #expect(group.archives.allSatisfy { $0.share == "data" })
    }

    @Test func historyIsOff_byDefault_andWithOff() throws {
        #expect(try loadConfiguration(Self.cluster(archives: "")).get().groups["files"]?.shares[0].history == nil)
        #expect(
            try loadConfiguration(Self.cluster(share: "history = \"off\"", archives: "")).get().groups["files"]?.shares[
                0
            ].history == nil)
    }

    @Test func rejects_badSchedules_withLineAndReason() {
        let cases: [(String, String)] = [
            (
                "every = \"daily\"\nat = \"25:00\"",
                "'at' in [[groups.files.archives]] is '25:00'; for an daily schedule it must be \"HH:MM\""
            ),
            ("every = \"hourly\"\nat = \"02:00\"", "for an hourly schedule it must be \":MM\""),
            (
                "every = \"fortnightly\"",
                "'every' in [[groups.files.archives]] is 'fortnightly'; it must be 'hourly' or 'daily' or 'weekly' or 'monthly'"
            ),
            ("at = \"02:00\"", "missing required key 'every'"),
            (
                "every = \"daily\"\non = \"monday\"",
                "'on' in [[groups.files.archives]] only applies to weekly schedules"
            ),
            ("every = \"weekly\"\non = \"someday\"", "it must be a weekday"),
            ("every = \"monthly\"\nday = 32", "'day' in [[groups.files.archives]] is 32; it must be from 1 to 31"),
            ("every = \"daily\"\nkeep = 0", "every archive would be pruned as soon as it is made"),
            ("every = \"daily\"\npaths = [\"../etc\"]", "contains a '..' component"),
            ("every = \"daily\"\npaths = [\"/etc\"]", "is absolute"),
            (
                "every = \"daily\"\nshare = \"web\"",
                "'share' in [[groups.files.archives]] is 'web', which is not a share of this group"
            ),
            ("every = \"daily\"\nname = \"manual\"", "'manual' is kept for `understudy archive now`"),
            ("every = \"daily\"\nretain = 3", "unknown key 'retain'"),
        ]
        for (body, message) in cases {
            let problems = configurationProblems(Self.cluster(archives: "[[groups.files.archives]]\n" + body))
            #expect(problems.count == 1 && problems[0].message.contains(message), "\(body): \(problems)")
        }
    }

    @Test func rejects_twoSchedulesWithOneName_andAnArchiveDirectoryInsideTheReplica() {
        let twice = configurationProblems(
            Self.cluster(
                archives: """
                    [[groups.files.archives]]
                    every = "daily"
                    [[groups.files.archives]]
                    every = "daily"
                    paths = ["db"]
                    """))
        #expect(twice.count == 1 && twice[0].message.contains("two archive schedules named 'daily'"), "\(twice)")
        let inside = configurationProblems(Self.cluster(share: "archive_dir = \"/srv/data/archives\"", archives: ""))
        #expect(inside.count == 1 && inside[0].message.contains("inside the replica '/srv/data'"), "\(inside)")
        let history = configurationProblems(Self.cluster(share: "history = \"soon\"", archives: ""))
        #expect(history.count == 1 && history[0].message.contains("'history'"), "\(history)")
    }
}
