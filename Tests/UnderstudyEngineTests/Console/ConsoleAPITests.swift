import Foundation
import NIOHTTP1
import NIOPosix
import Testing
@testable import UnderstudyConsole
import UnderstudyControl
import UnderstudyCore
import UnderstudySupport

/// The JSON API over real HTTPS against real daemons: each role on every endpoint, tokens, browser sessions with
/// their CSRF token, the login throttle, bad requests, and the event stream's resumption.
@Suite(.serialized) struct ConsoleAPITests {
    struct Answer {
        let status: Int
        let body: String
        let headers: [HTTPResponse.Field]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        var code: String? { json["code"] as? String }
        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name }?.value }
    }

    /// A caller of one console: with a token, a session cookie and its CSRF token, or nothing.
    struct Caller {
        let base: String
        let client: HTTPClient
        var token: String? = nil
        var cookie: String? = nil
        var csrf: String? = nil

        init(_ console: ConsoleServiceTests.Console) {
            base = console.base
            client = console.client
        }

        func with(token: String) -> Caller {
            var copy = self
            copy.token = token
            return copy
        }

        func call(_ method: HTTPMethod, _ path: String, _ body: String? = nil) async throws -> Answer {
            var headers: [HTTPResponse.Field] = []
            if let token { headers.append(.init(name: "Authorization", value: "Bearer \(token)")) }
            if let cookie { headers.append(.init(name: "Cookie", value: cookie)) }
            if let csrf { headers.append(.init(name: "X-CSRF-Token", value: csrf)) }
            if body != nil { headers.append(.init(name: "Content-Type", value: "application/json")) }
            let response = try await client.send(
                method: method, url: base + path, headers: headers, body: body.map { Array($0.utf8) }, timeout: 30,
                bodyLimit: 4 << 20)
            return Answer(
                status: response.status, body: String(decoding: response.body, as: UTF8.self),
                headers: response.headers)
        }

        /// Signs in; the caller then carries the session's cookie and CSRF token.
        func signedIn(_ user: String, _ password: String) async throws -> Caller {
            let answer = try await call(.POST, "/api/v1/login", #"{"user": "\#(user)", "password": "\#(password)"}"#)
            guard answer.status == 200, let cookie = answer.header("set-cookie")?.split(separator: ";").first else {
                throw ConsoleTestFailure("login of \(user): \(answer.status) \(answer.body)")
            }
            var copy = self
            copy.cookie = String(cookie)
            copy.csrf = answer.json["csrfToken"] as? String
            return copy
        }
    }

    static func token(
        _ cluster: TestCluster, _ node: String, role: ConsoleRole, expiresIn: Double? = nil
    ) async throws
        -> String
    {
        let client = cluster.control(node)
        let response = try await onThread {
            try client.send(
                ControlRequest.tokenCreate(name: "test-\(role)", role: role, expiresIn: expiresIn), waitingUpTo: 30)
        }
        guard case .tokenCreated(_, let secret) = response else { throw ConsoleTestFailure("\(response)") }
        return secret
    }

    static func addUser(_ cluster: TestCluster, _ node: String, _ name: String, _ role: ConsoleRole) async throws {
        let client = cluster.control(node)
        let response = try await onThread {
            try client.send(
                ControlRequest.userAdd(name: name, role: role, password: "password-of-\(name)"), waitingUpTo: 30)
        }
        guard response.ok else { throw ConsoleTestFailure("\(response)") }
    }

    @Test func eachRole_mayDoExactlyWhatItIsMeantTo_onEveryEndpoint() async throws {
        let cluster = try ConsoleServiceTests.consoles("api-roles")
        defer { Task { await cluster.remove() } }
        let consoles = try await ConsoleServiceTests.start(cluster)
        _ = try await cluster.sync()
        let anonymous = Caller(consoles["alpha"]!)
        var callers: [ConsoleRole: Caller] = [:]
        for role in ConsoleRole.allCases {
            callers[role] = anonymous.with(token: try await Self.token(cluster, "alpha", role: role))
        }
        // Every route, with the least role it needs. Actions are ones that change nothing here (a dry run, a sync
        // asked of the serving node, a restore on a node without replicas, unknown names), so every role can try.
        let routes: [(HTTPMethod, String, String?, ConsoleRole)] = [
            (.GET, "/api/v1/whoami", nil, .viewer),
            (.GET, "/api/v1/status", nil, .viewer),
            (.GET, "/api/v1/cluster", nil, .viewer),
            (.GET, "/api/v1/nodes", nil, .viewer),
            (.GET, "/api/v1/links", nil, .viewer),
            (.GET, "/api/v1/checks", nil, .viewer),
            (.GET, "/api/v1/groups", nil, .viewer),
            (.GET, "/api/v1/groups/files", nil, .viewer),
            (.GET, "/api/v1/conflicts", nil, .viewer),
            (.GET, "/api/v1/archives", nil, .viewer),
            (.GET, "/api/v1/history?path=files/data/a.txt", nil, .viewer),
            (.GET, "/api/v1/events?limit=5", nil, .viewer),
            (.POST, "/api/v1/groups/files/sync", nil, .operator),
            (.POST, "/api/v1/groups/files/failover", "{}", .operator),
            (.POST, "/api/v1/groups/files/switchover", #"{"dryRun": true}"#, .operator),
            (.POST, "/api/v1/groups/files/failback", #"{"dryRun": true}"#, .operator),
            (.POST, "/api/v1/archives", "{}", .operator),
            (.POST, "/api/v1/restore", #"{"path": "files/data/a.txt", "at": 1}"#, .operator),
            (.POST, "/api/v1/conflicts/resolve", #"{"path": "files/data/a.txt", "keep": "local"}"#, .operator),
            (.GET, "/api/v1/users", nil, .admin),
            (.PUT, "/api/v1/users/nobody/password", #"{"password": "long enough"}"#, .admin),
            (.DELETE, "/api/v1/users/nobody", nil, .admin),
            (.GET, "/api/v1/tokens", nil, .admin),
            (.DELETE, "/api/v1/tokens/00000000", nil, .admin),
            (.POST, "/api/v1/reload", nil, .admin),
        ]
        for (method, path, body, needed) in routes {
            let unauthenticated = try await anonymous.call(method, path, body)
            #expect(unauthenticated.status == 401, "\(method) \(path) without credentials: \(unauthenticated.body)")
            #expect(unauthenticated.code == "unauthorized")
            for role in ConsoleRole.allCases {
                let answer = try await callers[role]!.call(method, path, body)
                if role >= needed {
                    #expect(answer.status != 403 && answer.status != 401, "\(role) \(method) \(path): \(answer.body)")
                    #expect(answer.status < 500, "\(role) \(method) \(path): \(answer.body)")
                } else {
                    #expect(answer.status == 403, "\(role) \(method) \(path) must be refused: \(answer.body)")
                    #expect(answer.code == "forbidden")
                }
            }
        }
        // The status carries the node's report; a viewer sees it, and no secret is in it.
        let status = try await callers[.viewer]!.call(.GET, "/api/v1/status")
        #expect((status.json["status"] as? [String: Any])?["node"] as? String == "alpha")
        #expect(!status.body.contains("passwordHash") && !status.body.contains("secretDigest"))
        let nodes = try await callers[.viewer]!.call(.GET, "/api/v1/nodes")
        let listed = (try JSONSerialization.jsonObject(with: Data(nodes.body.utf8)) as? [[String: Any]]) ?? []
        #expect(listed.map { $0["name"] as? String } == ["alpha", "beta"], "\(nodes.body)")
        #expect(
            listed.first?["console"] as? String == "127.0.0.1:\(consoles["alpha"]!.base.split(separator: ":").last!)")
        // Adding users and tokens: admins only, and what they get back holds no hash.
        let viewerAdds = try await callers[.operator]!.call(
            .POST, "/api/v1/users", #"{"name": "eve", "role": "admin", "password": "long enough"}"#)
        #expect(viewerAdds.status == 403)
        let added = try await callers[.admin]!.call(
            .POST, "/api/v1/users", #"{"name": "carol", "role": "viewer", "password": "long enough"}"#)
        #expect(added.status == 200, "\(added.body)")
        #expect(!added.body.contains("$2b$"))
        let users = try await callers[.admin]!.call(.GET, "/api/v1/users")
        #expect((users.json["users"] as? [[String: Any]])?.map { $0["name"] as? String } == ["carol"])
    }

    @Test func expiredAndRevokedTokens_areRefused() async throws {
        let cluster = try ConsoleServiceTests.consoles("api-tokens")
        defer { Task { await cluster.remove() } }
        let consoles = try await ConsoleServiceTests.start(cluster)
        let anonymous = Caller(consoles["alpha"]!)
        let admin = anonymous.with(token: try await Self.token(cluster, "alpha", role: .admin))
        let brief = anonymous.with(token: try await Self.token(cluster, "alpha", role: .viewer, expiresIn: 1))
        #expect(try await brief.call(.GET, "/api/v1/status").status == 200)

        let created = try await admin.call(.POST, "/api/v1/tokens", #"{"name": "backup", "role": "operator"}"#)
        #expect(created.status == 200, "\(created.body)")
        let secret = try #require(created.json["secret"] as? String)
        let id = try #require((created.json["token"] as? [String: Any])?["id"] as? String)
        let script = anonymous.with(token: secret)
        #expect(try await script.call(.GET, "/api/v1/whoami").json["name"] as? String == "token backup (\(id))")
        #expect(try await admin.call(.DELETE, "/api/v1/tokens/\(id)").status == 200)
        let revoked = try await script.call(.GET, "/api/v1/status")
        #expect(revoked.status == 401)
        #expect(revoked.json["error"] as? String == "the token is unknown, expired or revoked")

        try await Task.sleep(for: .milliseconds(1500))
        #expect(try await brief.call(.GET, "/api/v1/status").status == 401)
        #expect(try await anonymous.with(token: "ust_00000000_nonsense").call(.GET, "/api/v1/status").status == 401)
        var basic = anonymous
        basic.token = nil
        basic.cookie = nil
        let malformed = try await basic.client.send(
            method: .GET, url: basic.base + "/api/v1/status",
            headers: [.init(name: "Authorization", value: "Basic YWRtaW46YWRtaW4=")], body: nil, timeout: 10,
            bodyLimit: 1 << 20)
        #expect(malformed.status == 401)

        // The token's creation and revocation are in the event log, with who asked.
        let events = try await admin.call(.GET, "/api/v1/events?limit=20")
        let actions = (events.json["events"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "action" }
        #expect(actions.contains { ($0["message"] as? String)?.contains("revocation of token \(id)") == true })
        #expect(actions.allSatisfy { ($0["user"] as? String)?.isEmpty == false })
        #expect(!events.body.contains(secret))
    }

    @Test func aBrowserSession_needsItsCSRFToken_forEveryChange() async throws {
        let cluster = try ConsoleServiceTests.consoles("api-csrf")
        defer { Task { await cluster.remove() } }
        let consoles = try await ConsoleServiceTests.start(cluster)
        try await Self.addUser(cluster, "alpha", "olivia", .operator)
        let anonymous = Caller(consoles["alpha"]!)
        let login = try await anonymous.call(
            .POST, "/api/v1/login", #"{"user": "olivia", "password": "password-of-olivia"}"#)
        let cookie = try #require(login.header("set-cookie"))
        for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
            #expect(cookie.contains(flag), "the session cookie is \(flag): \(cookie)")
        }
        let browser = try await anonymous.signedIn("olivia", "password-of-olivia")
        #expect(try await browser.call(.GET, "/api/v1/status").status == 200)

        var forged = browser
        forged.csrf = nil
        let noToken = try await forged.call(.POST, "/api/v1/groups/files/switchover", #"{"dryRun": true}"#)
        #expect(noToken.status == 403)
        #expect(noToken.code == "csrf-refused")
        forged.csrf = "guessed"
        #expect(
            try await forged.call(.POST, "/api/v1/groups/files/switchover", #"{"dryRun": true}"#).code == "csrf-refused"
        )
        let withToken = try await browser.call(.POST, "/api/v1/groups/files/switchover", #"{"dryRun": true}"#)
        #expect(withToken.status != 403, "\(withToken.body)")

        #expect(try await browser.call(.POST, "/api/v1/logout").status == 200)
        #expect(try await browser.call(.GET, "/api/v1/status").status == 401)
    }

    @Test func failedLogins_areSlowedDown_andLogged() async throws {
        let cluster = try ConsoleServiceTests.consoles("api-throttle")
        defer { Task { await cluster.remove() } }
        let consoles = try await ConsoleServiceTests.start(cluster)
        try await Self.addUser(cluster, "alpha", "alice", .admin)
        let anonymous = Caller(consoles["alpha"]!)
        // Three failures are free; the waits after the 4th and 5th are 1 s and 2 s, so after five the next attempt
        // waits 4 s: room enough for a loaded machine between the fifth failure and the attempt below. An attempt
        // that comes while a wait runs is refused without counting as a failure; it waits and tries again.
        var failures = 0
        for _ in 0..<12 where failures < 5 {
            let wrong = try await anonymous.call(
                .POST, "/api/v1/login", #"{"user": "alice", "password": "guess-guess"}"#)
            if wrong.status == 401 {
                failures += 1
            } else {
                #expect(wrong.status == 429 && failures >= 3, "attempt after \(failures) failures: \(wrong.body)")
                try await Task.sleep(for: .seconds(Int(wrong.header("retry-after") ?? "") ?? 1))
            }
        }
        #expect(failures == 5)
        let throttled = try await anonymous.call(
            .POST, "/api/v1/login", #"{"user": "alice", "password": "password-of-alice"}"#)
        #expect(throttled.status == 429, "even the right password waits: \(throttled.body)")
        #expect(throttled.code == "login-throttled")
        let retryAfter = Int(throttled.header("retry-after") ?? "") ?? 0
        #expect((1...4).contains(retryAfter))
        #expect(cluster.logs.all.contains { $0.contains("console login of 'alice' from 127.0.0.1 failed") })
        #expect(cluster.logs.all.contains { $0.contains("refused: too many failed attempts") })
        try await Task.sleep(for: .milliseconds(retryAfter * 1000 + 200))
        #expect(
            try await anonymous.call(.POST, "/api/v1/login", #"{"user": "alice", "password": "password-of-alice"}"#)
                .status == 200)
    }

    @Test func badRequests_areRefusedWithACode_andChangeNothing() async throws {
        let cluster = try ConsoleServiceTests.consoles("api-bad")
        defer { Task { await cluster.remove() } }
        let consoles = try await ConsoleServiceTests.start(cluster)
        let admin = Caller(consoles["alpha"]!).with(token: try await Self.token(cluster, "alpha", role: .admin))
        let cases: [(HTTPMethod, String, String, String)] = [
            (.POST, "/api/v1/users", "not json", "the body must be a JSON object"),
            (
                .POST, "/api/v1/users", #"{"name": "zed", "role": "god", "password": "long enough"}"#,
                "role must be admin, operator or viewer"
            ),
            (.POST, "/api/v1/users", #"{"name": "zed", "role": "viewer"}"#, "the body lacks the field 'password'"),
            (
                .POST, "/api/v1/users", #"{"name": "zed", "role": "viewer", "password": 12345678}"#,
                "field 'password' must be a string"
            ),
            (.POST, "/api/v1/users", #"{"name": "../zed", "role": "viewer", "password": "long enough"}"#, "is invalid"),
            (.POST, "/api/v1/users", #"{"name": "zed", "role": "viewer", "password": "short"}"#, "a password needs 8"),
            (
                .POST, "/api/v1/tokens", #"{"name": "t", "role": "viewer", "expiresIn": -5}"#,
                "expiresIn must be a positive"
            ),
            (.POST, "/api/v1/groups/files/switchover", #"{"dryRun": "yes"}"#, "field 'dryRun' must be true or false"),
            (
                .POST, "/api/v1/conflicts/resolve", #"{"path": "files/data/a", "keep": "mine"}"#,
                "keep must be local, remote or both"
            ),
            (.GET, "/api/v1/events?limit=0", "", "limit must be from 1 to 1000"),
            (.GET, "/api/v1/events?before=-3", "", "before must be a whole number"),
            (.GET, "/api/v1/history", "", "history needs ?path="),
        ]
        for (method, path, body, message) in cases {
            let answer = try await admin.call(method, path, body.isEmpty ? nil : body)
            #expect(answer.status == 400, "\(method) \(path) \(body): \(answer.status) \(answer.body)")
            #expect(answer.json["ok"] as? Bool == false)
            #expect((answer.json["error"] as? String)?.contains(message) == true, "\(path) \(body): \(answer.body)")
            #expect(answer.code != nil)
        }
        let users = try await admin.call(.GET, "/api/v1/users")
        #expect((users.json["users"] as? [Any])?.isEmpty == true, "no refused request added a user: \(users.body)")
        let tokens = try await admin.call(.GET, "/api/v1/tokens")
        #expect((tokens.json["tokens"] as? [Any])?.count == 1, "only the test's own token: \(tokens.body)")
        let unknown = try await admin.call(.GET, "/api/v1/groups/mail")
        #expect(unknown.status == 404 && unknown.code == "unknown-group")
    }

    @Test func theEventStream_resumesFromAGivenId_withoutLosingAnEvent() async throws {
        let cluster = try ConsoleServiceTests.consoles("api-events")
        defer { Task { await cluster.remove() } }
        let consoles = try await ConsoleServiceTests.start(cluster)
        let token = try await Self.token(cluster, "alpha", role: .admin)
        let admin = Caller(consoles["alpha"]!).with(token: token)
        let port = consoles["alpha"]!.base.split(separator: ":").last!
        let ca = cluster.configuration.certificatesDirectory + "/ca.pem"
        /// What the stream sends within `seconds`, as (id, kind) pairs; `lastEventID` resumes after that id.
        func stream(lastEventID: Int64?, seconds: Int) async -> [(Int64, String)] {
            let resume = lastEventID.map { "-H 'Last-Event-ID: \($0)'" } ?? ""
            let outcome = await ProcessRunner.run(
                "curl -sN --cacert '\(ca)' --resolve alpha:\(port):127.0.0.1 -H 'Authorization: Bearer \(token)' \(resume) --max-time \(seconds) https://alpha:\(port)/api/v1/events/stream",
                timeout: Double(seconds + 20), outputLimit: 4 << 20)
            var frames: [(Int64, String)] = []
            var id: Int64?
            for line in outcome.output.split(separator: "\n") {
                if line.hasPrefix("id: ") { id = Int64(line.dropFirst(4)) }
                if line.hasPrefix("data: "), let id,
                    let object = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any]
                {
                    frames.append((id, object["kind"] as? String ?? ""))
                }
            }
            return frames
        }
        func makeEvents(_ count: Int, from index: Int) async throws {
            for number in index..<(index + count) {
                let made = try await admin.call(.POST, "/api/v1/tokens", #"{"name": "t\#(number)", "role": "viewer"}"#)
                #expect(made.status == 200)
            }
        }
        let start = try #require(
            ((try await admin.call(.GET, "/api/v1/events?limit=1")).json["events"] as? [[String: Any]])?.first?["id"]
                as? Int)
        try await makeEvents(5, from: 0)
        let first = await stream(lastEventID: Int64(start), seconds: 2)
        #expect(first.count >= 5, "\(first)")
        let lastSeen = try #require(first.last?.0)
        // While nobody listens, more happens.
        try await makeEvents(4, from: 5)
        let resumed = await stream(lastEventID: lastSeen, seconds: 2)
        let ids = (first + resumed).map(\.0)
        #expect(ids == Array(ids.sorted()), "in order: \(ids)")
        #expect(Set(ids).count == ids.count, "none twice: \(ids)")
        let logged = try await admin.call(.GET, "/api/v1/events?limit=1000")
        let all = ((logged.json["events"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? Int }.filter {
            $0 > start
        }
        #expect(Set(ids.map(Int.init)) == Set(all), "every event since the start, none lost: \(ids) against \(all)")
        #expect(resumed.filter { $0.1 == "action" }.count >= 4)
    }
}
