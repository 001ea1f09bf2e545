/// `bandwidth` and `[[groups.NAME.bandwidth_schedule]]` (`days`, `from`, `to`, `bandwidth`) of a group.
extension ConfigurationValidator {
    static let scheduleKeys = ["days", "from", "to", "bandwidth"]
    static let dayNames = ["mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7]

    /// `key` (a rate) and `key_schedule` (windows with other rates): `bandwidth` for the mirror from the holder,
    /// `offsite_bandwidth` for the hop to the off-site node.
    mutating func readBandwidth(
        _ table: TOMLTable, group: String, place: String, key: String = "bandwidth"
    ) -> BandwidthLimit? {
        var valid = true
        var limit = BandwidthLimit.unlimited
        if table[key] != nil {
            if let rate = readRate(table, place: place, key: key) { limit.bytesPerSecond = rate } else { valid = false }
        }
        let scheduleKey = key + "_schedule"
        if let value = table[scheduleKey] {
            let header = "[[\(TOMLParser.display(["groups", group, scheduleKey]))]]"
            guard let elements = value.array else {
                report(
                    .wrongType, value.line,
                    "\(Self.subject(scheduleKey, place)) must be an array of tables; write each window as \(header)"
                )
                return nil
            }
            for element in elements {
                guard let window = element.table else {
                    report(
                        .wrongType, element.line,
                        "each element of \(Self.subject(scheduleKey, place)) must be a table, not \(element.typeDescription)"
                    )
                    valid = false
                    continue
                }
                if let parsed = readWindow(window, place: header) {
                    limit.schedule.append(parsed)
                } else {
                    valid = false
                }
            }
        }
        return valid ? limit : nil
    }

    /// nil with a problem reported, or .some(nil) for "unlimited".
    private mutating func readRate(_ table: TOMLTable, place: String, key: String = "bandwidth") -> Int64?? {
        guard
            let (text, line) = readString(
                key, in: table, place: place, required: true,
                expectation: "a rate like \"20MB/s\"")
        else { return nil }
        do throws(BandwidthError) {
            return .some(try BandwidthLimit.parseRate(text))
        } catch {
            report(.invalidBandwidth, line, "\(Self.subject(key, place)): \(error)")
            return nil
        }
    }

    private mutating func readWindow(_ table: TOMLTable, place: String) -> BandwidthLimit.Window? {
        checkKeys(of: table, allowed: Self.scheduleKeys, place: place)
        var days = Set(1...7)
        var valid = true
        if table["days"] != nil {
            days = []
            for (name, line) in readStringArray("days", in: table, place: place) ?? [] {
                if let day = Self.dayNames[name.lowercased()] {
                    days.insert(day)
                } else {
                    report(
                        .invalidBandwidth, line,
                        "'\(name)' in 'days' of \(place) is not a day; write mon, tue, wed, thu, fri, sat or sun")
                    valid = false
                }
            }
        }
        let from = readClock("from", table, place: place)
        let to = readClock("to", table, place: place)
        let rate = readRate(table, place: place)
        guard valid, let from, let to, let rate else { return nil }
        if from == to {
            report(
                .invalidBandwidth, table["to"]?.line ?? table.line,
                "\(place) starts and ends at the same time; a window needs a length")
            return nil
        }
        return BandwidthLimit.Window(days: days, fromMinute: from, toMinute: to, bytesPerSecond: rate)
    }

    /// "HH:MM" → minutes after midnight.
    private mutating func readClock(_ key: String, _ table: TOMLTable, place: String) -> Int? {
        guard
            let (text, line) = readString(
                key, in: table, place: place, required: true, expectation: "a time like \"08:00\"")
        else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hour = Int(parts[0]),
            let minute = Int(parts[1]),
            (0...24).contains(hour), (0..<60).contains(minute), hour < 24 || minute == 0
        {
            return hour * 60 + minute
        }
        report(
            .invalidBandwidth, line,
            "\(Self.subject(key, place)) is '\(text)', not a time like \"08:00\" (00:00 to 24:00)")
        return nil
    }
}
