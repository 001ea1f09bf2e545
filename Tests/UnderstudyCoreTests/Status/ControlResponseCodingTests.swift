import Foundation
import Testing
import UnderstudyCore

/// The control API's answers: one case per kind, one flat JSON object on the wire, `ok` and `error` derived the same
/// way on both sides.
struct ControlResponseCodingTests {
    static let report = NodeStatusReport(
        cluster: "test", node: "beta", version: "1", startedAt: Date(timeIntervalSince1970: 1_790_000_000), groups: [])
    static let failed = SyncResult(
        group: "files", share: "data", ok: false, seconds: 1, plan: nil, bytesReceived: 0, error: "replica full")
    static let full = SyncResult(
        group: "files", share: "mail", ok: false, seconds: 1, plan: nil, bytesReceived: 0,
        error: "3 files could not be applied", code: "apply-failed")
    static let fine = SyncResult(
        group: "files", share: "logs", ok: true, seconds: 1, plan: nil, bytesReceived: 10, error: nil)

    static let every: [ControlResponse] = [
        .status(report), .synced([fine], status: report), .synced([fine, failed], message: "adopted"),
        .done("taking over group files"), .plan("would hand over epoch 2", ready: false, conflicts: []),
        .archives([]), .history([]), .conflicts([]), .refused("no group 'nope'", code: "unknown-share"),
        .refused("something failed"), .synced([fine, full]),
        .reloaded(ReloadReport(configuration: "/etc/u.toml", applied: ["[notify]"], atRestart: ["group mail added"])),
        .reloaded(ReloadReport(configuration: "/etc/u.toml")),
        .configVersions([
            ConfigVersionSummary(path: "/etc/a", version: 2, takenAt: 5, size: nil, digest: "", note: "rollback to 1"),
            ConfigVersionSummary(path: "/etc/a", version: 1, takenAt: 4, size: 12, digest: "ab", note: nil),
        ]),
    ]

    @Test(arguments: every) func everyAnswer_roundTrips(response: ControlResponse) throws {
        let data = try JSONEncoder().encode(response)
        #expect(try JSONDecoder().decode(ControlResponse.self, from: data) == response)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["version"] as? Int == ControlRequest.version)
        #expect(object["ok"] as? Bool == response.ok)
    }

    @Test func okAndError_followTheAnswer() {
        #expect(ControlResponse.synced([Self.fine, Self.failed]).ok == false)
        #expect(ControlResponse.synced([Self.fine, Self.failed]).error == "replica full")
        #expect(ControlResponse.synced([Self.fine], message: "adopted").ok)
        #expect(ControlResponse.synced([Self.fine]).error == nil)
        #expect(ControlResponse.plan("", ready: false, conflicts: []).ok == false)
        #expect(ControlResponse.plan("", ready: true, conflicts: []).ok)
        #expect(ControlResponse.refused("no", code: "busy").code == "busy")
        #expect(ControlResponse.done("ok").code == nil && ControlResponse.done("ok").message == "ok")
        #expect(ControlResponse.synced([Self.fine, Self.full, Self.failed]).code == "apply-failed")
        #expect(ControlResponse.synced([Self.failed]).code == nil, "a result of an older daemon has no code")
    }

    @Test func aCodedError_becomesARefusalWithItsCode_andAnyOtherError_withItsDescription() {
        let coded = ControlResponse.failure(ControlRequestError(.unsupportedVersion, "too new"))
        #expect(coded == .refused("too new", code: "unsupported-version"))
        struct Plain: Error, CustomStringConvertible { var description: String { "plain" } }
        #expect(ControlResponse.failure(Plain()) == .refused("plain"))
    }

    /// A command line updated before its daemon reads the older daemon's answers.
    @Test func theAnswersOfAnOlderDaemon_withoutAKind_areStillRead() throws {
        func decode(_ text: String) throws -> ControlResponse {
            try JSONDecoder().decode(ControlResponse.self, from: Data(text.utf8))
        }
        #expect(try decode(#"{"ok": false, "error": "no group 'x'"}"#) == .refused("no group 'x'"))
        #expect(try decode(#"{"ok": true, "message": "taking over"}"#) == .done("taking over"))
        #expect(try decode(#"{"ok": true, "archives": []}"#) == .archives([]))
        #expect(try decode(#"{"ok": true, "conflicts": []}"#) == .conflicts([]))
    }

    @Test func anAnswerOfAnUnknownKind_isADecodingError() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(ControlResponse.self, from: Data(#"{"ok": true, "answer": "party"}"#.utf8))
        }
    }
}
