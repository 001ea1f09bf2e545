#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Testing
import UnderstudySupport

/// The daemon's log lines: syslog priorities for journald (so `journalctl -p err` filters), JSON for log shippers,
/// and the choice made from systemd's JOURNAL_STREAM.
@Suite struct LogFormatTests {
    static let time = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func eachLevel_hasItsSyslogPriority() {
        let priorities = Logger.Level.allCases.map { LogFormat.priority($0) }
        #expect(priorities == [7, 7, 6, 5, 4, 3, 2])
    }

    @Test func aJournalLine_carriesThePriorityOnEveryLineOfTheMessage() {
        let line = LineLogHandler.Style.journal.line(
            level: .error, message: "sync failed:\nfirst cause", label: "understudy.alpha",
            metadata: ["share": "files/data"], time: Self.time)
        #expect(line == "<3>understudy.alpha: [share=files/data] sync failed:\n<3>understudy.alpha:   first cause")
    }

    @Test func aJSONLine_isOneObject_withTimeLevelLabelMessageAndMetadata() throws {
        let line = LineLogHandler.Style.json.line(
            level: .warning, message: "a \"quoted\"\nmessage", label: "understudy.beta", metadata: ["n": "1"],
            time: Self.time)
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "warning")
        #expect(object["label"] as? String == "understudy.beta")
        #expect(object["message"] as? String == "a \"quoted\"\nmessage")
        #expect((object["metadata"] as? [String: String]) == ["n": "1"])
        #expect((object["time"] as? String)?.hasPrefix("2027-01-15T08:00:00") == true)
    }

    @Test func theJournalIsChosen_onlyWhenJournalStreamNamesStandardError() {
        var info = stat()
        #expect(fstat(STDERR_FILENO, &info) == 0)
        #expect(LogFormat.detected(environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino)"]) == .journal)
        #expect(LogFormat.detected(environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino + 1)"]) == .plain)
        #expect(LogFormat.detected(environment: ["JOURNAL_STREAM": "nonsense"]) == .plain)
        #expect(LogFormat.detected(environment: [:]) == .plain)
    }
}
