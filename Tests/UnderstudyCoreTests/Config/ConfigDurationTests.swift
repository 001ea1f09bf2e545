import Testing
import UnderstudyCore

@Suite struct ConfigDurationTests {
    @Test(
        arguments: [
            ("500ms", 0.5), ("30s", 30), ("5m", 300), ("1h", 3600), ("2d", 172_800),
            ("45", 45), ("0", 0), ("1h30m", 5400), ("1.5s", 1.5), ("2m30s", 150),
        ] as [(String, Double)])
    func parses_unitsAndPlainSeconds(text: String, seconds: Double) throws {
        #expect(try ConfigDuration.parse(text) == ConfigDuration(seconds: seconds))
    }

    @Test(
        arguments: [
            ("", "it is empty"), ("5x", "'x' is not a unit"), ("10", nil), ("s", "needs a number"),
            ("-5s", "negative"), ("5", nil), ("3 m", "has no unit"), ("1.2.3s", "needs a number"),
            ("5sec", "'sec' is not a unit"),
        ] as [(String, String?)])
    func refuses_malformedDurations_sayingWhy(text: String, reason: String?) {
        guard let reason else {
            #expect(throws: Never.self) { try ConfigDuration.parse(text) }
            return
        }
        #expect {
            try ConfigDuration.parse(text)
        } throws: { error in
            let error = error as? ConfigDurationError
            return error?.reason.contains(reason) == true
                && error?.description.contains("write a number with a unit ms, s, m, h or d") == true
        }
    }

    @Test(
        arguments: [(60.0, "1m"), (0.5, "500ms"), (90, "90s"), (7200, "2h"), (86_400, "1d"), (0, "0ms")]
            as [(Double, String)])
    func describes_inTheLargestExactUnit(seconds: Double, text: String) {
        #expect(ConfigDuration(seconds: seconds).description == text)
    }
}
