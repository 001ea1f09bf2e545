/// `[[groups.NAME.archives]]` (`name`, `share`, `paths`, `every`, `at`, `on`, `day`, `keep`, `keep_within`) and a
/// share's `history` and `archive_dir`.
extension ConfigurationValidator {
    static let archiveKeys = ["name", "share", "paths", "every", "at", "on", "day", "keep", "keep_within"]
    static let weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

    mutating func readArchives(
        _ table: TOMLTable, group: String, shares: [ShareDraft], place: String
    ) -> [ArchiveConfiguration]? {
        guard let value = table["archives"] else { return [] }
        let header = "[[\(TOMLParser.display(["groups", group, "archives"]))]]"
        guard let elements = value.array else {
            report(
                .wrongType, value.line,
                "\(Self.subject("archives", place)) must be an array of tables; write each schedule as \(header)")
            return nil
        }
        var archives: [ArchiveConfiguration] = []
        var valid = true
        var firstLine: [String: Int] = [:]
        for element in elements {
            guard let archiveTable = element.table else {
                report(
                    .wrongType, element.line,
                    "each element of \(Self.subject("archives", place)) must be a table, not \(element.typeDescription)"
                )
                valid = false
                continue
            }
            guard let archive = readArchive(archiveTable, shares: shares, place: header) else {
                valid = false
                continue
            }
            let key = "\(archive.share)/\(archive.name)"
            if let first = firstLine[key] {
                report(
                    .conflict, archiveTable["name"]?.line ?? archiveTable.line,
                    "share '\(archive.share)' has two archive schedules named '\(archive.name)' (first on line \(first)); give each its own 'name'"
                )
                valid = false
                continue
            }
            firstLine[key] = archiveTable.line
            archives.append(archive)
        }
        return valid ? archives : nil
    }

    private mutating func readArchive(_ table: TOMLTable, shares: [ShareDraft], place: String) -> ArchiveConfiguration?
    {
        checkKeys(of: table, allowed: Self.archiveKeys, place: place)
        let shareNames = shares.compactMap(\.name)
        var share: String?
        if let (name, line) = readString("share", in: table, place: place, required: false) {
            if shareNames.contains(name) {
                share = name
            } else {
                report(
                    .invalidValue, line,
                    "\(Self.subject("share", place)) is '\(name)', which is not a share of this group; the shares are "
                        + shareNames.map { "'\($0)'" }.joined(separator: ", "))
            }
        } else if table["share"] == nil {
            if shareNames.count == 1 {
                share = shareNames[0]
            } else if shareNames.count > 1 {
                report(
                    .missingKey, table.line,
                    "missing key 'share' in \(place): the group has several shares ("
                        + shareNames.map { "'\($0)'" }.joined(separator: ", ") + "); say which one to archive")
            }
        }
        guard
            let everyText = readChoice(
                "every", table, place: place, choices: ArchiveSchedule.Every.allCases.map(\.rawValue), default: "")
        else {
            return nil
        }
        guard let every = ArchiveSchedule.Every(rawValue: everyText) else {
            report(
                .missingKey, table.line,
                "missing required key 'every' in \(place); use 'hourly', 'daily', 'weekly' or 'monthly'")
            return nil
        }
        var schedule = ArchiveSchedule(every: every)
        var valid = share != nil
        if let (at, line) = readString(
            "at", in: table, place: place, required: false, expectation: every == .hourly ? "\":MM\"" : "\"HH:MM\"")
        {
            if let (hour, minute) = Self.parseTimeOfDay(at, hourly: every == .hourly) {
                schedule.hour = hour
                schedule.minute = minute
            } else {
                let expected =
                    every == .hourly ? "\":MM\" (the minute of every hour, like \":15\")" : "\"HH:MM\" (like \"02:00\")"
                report(
                    .invalidValue, line,
                    "\(Self.subject("at", place)) is '\(at)'; for an \(every.rawValue) schedule it must be \(expected)")
                valid = false
            }
        } else if table["at"] != nil {
            valid = false
        }
        if let (day, line) = readString(
            "on", in: table, place: place, required: false, expectation: "a weekday like \"sunday\"")
        {
            if every != .weekly {
                report(
                    .invalidValue, line,
                    "\(Self.subject("on", place)) only applies to weekly schedules; this one is \(every.rawValue)")
                valid = false
            } else if let index = Self.weekdays.firstIndex(of: day.lowercased()) {
                schedule.weekday = index + 1
            } else {
                report(
                    .invalidValue, line, "\(Self.subject("on", place)) is '\(day)'; it must be a weekday, like 'sunday'"
                )
                valid = false
            }
        } else if table["on"] != nil {
            valid = false
        }
        if let dayValue = table["day"] {
            if every != .monthly {
                report(
                    .invalidValue, dayValue.line,
                    "\(Self.subject("day", place)) only applies to monthly schedules; this one is \(every.rawValue)")
                valid = false
            } else if let day = readInteger("day", table, place: place, default: 1, range: 1...31) {
                schedule.dayOfMonth = day
            } else {
                valid = false
            }
        }
        let keep = readInteger(
            "keep", table, place: place, default: ArchiveConfiguration.defaultKeep[every]!, range: 0...100_000)
        let keepWithin = readDuration(
            "keep_within", table, place: place, default: ConfigDuration(seconds: 0),
            range: ConfigDuration(seconds: 0)...ConfigDuration(seconds: 100 * 365 * 86400))
        if keep == 0, let keepWithin, keepWithin.seconds == 0 {
            report(
                .invalidValue, table["keep"]?.line ?? table.line,
                "\(Self.subject("keep", place)) is 0 and there is no 'keep_within': every archive would be pruned as soon as it is made"
            )
            valid = false
        }
        var paths: [String] = []
        if let entries = readStringArray("paths", in: table, place: place) {
            for (path, line) in entries {
                var trimmed = path
                while trimmed.hasSuffix("/") && trimmed.count > 1 { trimmed.removeLast() }
                if trimmed == "/" || trimmed.isEmpty { trimmed = "" }
                do throws(PathError) {
                    try RelativePath.validate(trimmed)
                    paths.append(trimmed)
                } catch {
                    report(
                        .invalidPath, line,
                        "an element of \(Self.subject("paths", place)) \(error.reason): '\(path)'; give paths inside the share, like \"db/\""
                    )
                    valid = false
                }
            }
            if paths.contains("") { paths = [] }
        } else {
            valid = false
        }
        var name = every.rawValue
        if let (text, line) = readString("name", in: table, place: place, required: false) {
            if Self.isValidName(text, allowDot: false) {
                name = text
            } else {
                report(.invalidName, line, "archive schedule name '\(text)' is invalid: \(Self.nameRule)")
                valid = false
            }
        } else if table["name"] != nil {
            valid = false
        }
        if name == "manual" {
            report(
                .invalidName, table["name"]?.line ?? table.line,
                "archive schedule name 'manual' is kept for `understudy archive now`; choose another")
            valid = false
        }
        guard valid, let share, let keep, let keepWithin else { return nil }
        return ArchiveConfiguration(
            name: name, share: share, paths: Array(Set(paths)).sorted(), schedule: schedule,
            retention: ArchiveConfiguration.retention(every: every, keep: keep, keepWithin: keepWithin.seconds))
    }

    /// "HH:MM" (or ":MM" for hourly schedules) → hour and minute.
    static func parseTimeOfDay(_ text: String, hourly: Bool) -> (Int, Int)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count == 2, let minute = Int(parts[1]), (0...59).contains(minute) else {
            return nil
        }
        if hourly {
            guard parts[0].isEmpty else { return nil }
            return (0, minute)
        }
        guard (1...2).contains(parts[0].count), let hour = Int(parts[0]), (0...23).contains(hour) else { return nil }
        return (hour, minute)
    }
}
