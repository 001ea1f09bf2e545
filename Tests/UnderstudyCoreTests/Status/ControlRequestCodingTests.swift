import Foundation
import Testing
import UnderstudyCore

/// The control API's requests on the wire: one flat JSON object with the API version and the command's name; a
/// request that lacks what its command needs is refused with a message that says how the CLI spells it.
struct ControlRequestCodingTests {
    static let every: [ControlRequest] = [
        .status, .sync(), .sync(group: "files"), .failover(group: "files", force: true), .archives(),
        .archives(group: "files", share: "data"), .archiveNow(group: "files", share: "data", schedule: "hourly"),
        .archiveRemove(group: "files", share: "data", archive: "manual-1"), .history(path: "files/data/a.txt"),
        .restore(path: "files/data/a.txt", archive: "manual-1", to: "/tmp/out", overwrite: true),
        .restore(path: "/srv/replica/a.txt", at: 1_790_000_000.5, inPlace: true),
        .switchover(group: "files", force: true), .failback(group: "files", dryRun: true), .conflicts(),
        .conflicts(group: "files"), .conflictResolve(path: "files/data/a.txt", keep: .remote),
        .adopt(share: "files/data", mode: .moveAside), .configHistory(group: "web"),
        .configHistory(group: "web", path: "/etc/nginx/nginx.conf", limit: 5),
        .configDiff(group: "web", path: "/etc/nginx/nginx.conf"),
        .configDiff(group: "web", path: "/etc/nginx/nginx.conf", from: 2, to: 5),
        .configRollback(group: "web", path: "/etc/nginx/nginx.conf", version: 3),
    ]

    func decode(_ text: String) throws -> ControlRequest {
        try JSONDecoder().decode(ControlRequest.self, from: Data(text.utf8))
    }

    func refusal(_ text: String) -> ControlRequestError? {
        do {
            _ = try decode(text)
            return nil
        } catch {
            return error as? ControlRequestError
        }
    }

    @Test(arguments: every) func everyRequest_roundTrips(request: ControlRequest) throws {
        let data = try JSONEncoder().encode(request)
        #expect(try JSONDecoder().decode(ControlRequest.self, from: data) == request)
    }

    @Test func aRequest_isOneFlatObject_withTheVersionAndTheCommandsName() throws {
        let data = try JSONEncoder().encode(ControlRequest.restore(path: "files/data/a.txt", at: 5))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["version"] as? Int == ControlRequest.version)
        #expect(object["command"] as? String == "restore")
        #expect(object["path"] as? String == "files/data/a.txt" && object["at"] as? Double == 5)
        #expect(object["archive"] == nil)
    }

    @Test func aRequestWithoutAVersion_isTakenAsTheFirst() throws {
        #expect(try decode(#"{"command": "sync", "group": "files"}"#) == .sync(group: "files"))
    }

    @Test func aNewerVersion_isRefusedWithItsCode_sayingWhatToDo() {
        let refused = refusal(#"{"version": 2, "command": "status"}"#)
        #expect(refused?.code == .unsupportedVersion)
        #expect(refused?.message.contains("speaks control API version 1, the request is version 2") == true)
    }

    @Test func anUnknownCommand_isRefused_listingTheCommands() {
        let refused = refusal(#"{"version": 1, "command": "reboot"}"#)
        #expect(refused?.code == .badRequest)
        #expect(refused?.message.contains("unknown command \"reboot\"") == true)
        #expect(refused?.message.contains("archive-now") == true)
        #expect(refusal(#"{"version": 1}"#)?.message.contains("unknown command \"\"") == true)
    }

    @Test(arguments: [
        (#"{"command": "failover"}"#, "failover needs a group: understudy failover GROUP"),
        (#"{"command": "switchover", "group": ""}"#, "switchover needs a group"),
        (#"{"command": "failback"}"#, "failback needs a group"),
        (#"{"command": "archive-remove", "group": "files"}"#, "name the archive to remove"),
        (#"{"command": "history"}"#, "history needs a path"),
        (#"{"command": "restore", "at": 5}"#, "restore needs a path"),
        (#"{"command": "conflict-resolve", "path": "files/data/a", "keep": "mine"}"#, "--keep local|remote|both"),
        (#"{"command": "adopt", "path": "files/data", "keep": "yes"}"#, "--keep (mirror over it"),
        (#"{"command": "adopt", "keep": "keep"}"#, "adopt needs GROUP/SHARE"),
        (#"{"command": "config-history"}"#, "understudy config history GROUP"),
        (#"{"command": "config-history", "group": "web", "limit": 0}"#, "'limit' must be a whole number from 1"),
        (#"{"command": "config-diff", "group": "web"}"#, "understudy config diff GROUP FILE"),
        (#"{"command": "config-diff", "group": "web", "path": "/a", "fromVersion": -1}"#, "'fromVersion'"),
        (#"{"command": "config-rollback", "group": "web", "path": "/a"}"#, "--to N"),
        (#"{"command": "config-rollback", "group": "web", "path": "/a", "versionNumber": "x"}"#, "'versionNumber'"),
    ])
    func aCommandWithoutWhatItNeeds_isRefused_sayingHowTheCommandLineSpellsIt(line: String, expected: String) {
        let refused = refusal(line)
        #expect(refused?.code == .badRequest)
        #expect(refused?.message.contains(expected) == true, "\(String(describing: refused))")
    }

    @Test func aFieldOfTheWrongType_isADecodingError_notARequest() {
        #expect(throws: DecodingError.self) { try decode(#"{"command": "sync", "group": 5}"#) }
    }
}
