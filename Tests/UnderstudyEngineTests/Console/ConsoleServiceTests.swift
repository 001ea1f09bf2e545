import Foundation
import NIOConcurrencyHelpers
import NIOHTTP1
import NIOPosix
import Testing
@testable import UnderstudyConsole
import UnderstudyControl
import UnderstudyCore
import UnderstudySupport

/// Two real daemons on loopback, each with its console: the probes, `/metrics` and the API's description over real
/// HTTPS, verified with the cluster's authority.
@Suite(.serialized) struct ConsoleServiceTests {
    /// A console's base URL and a client that trusts the cluster's CA, as `understudy --url` does.
    struct Console {
        let base: String
        let client: HTTPClient

        init(port: Int, caFile: String, verifyHostname: Bool = false) {
            base = "https://127.0.0.1:\(port)"
            client = HTTPClient(
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                tls: HTTPClientTLSOptions(caFile: caFile, verifyHostname: verifyHostname))
        }

        func get(_ path: String) async throws -> (status: Int, body: String) {
            let response = try await client.get(base + path, timeout: 10, bodyLimit: 4 << 20)
            return (response.status, String(decoding: response.body, as: UTF8.self))
        }
    }

    /// Starts alpha and beta with consoles on ports of their own; returns each node's console once it listens.
    static func start(_ cluster: TestCluster) async throws -> [String: Console] {
        var consoles: [String: Console] = [:]
        for node in ["alpha", "beta"] {
            let port = NIOLockedValueBox<Int?>(nil)
            try cluster.start(node, onConsoleListening: { bound in port.withLockedValue { $0 = bound } })
            guard await eventually(seconds: 60, { port.withLockedValue { $0 } != nil }) else {
                throw ConsoleTestFailure("the console of \(node) did not listen: \(cluster.recentLog)")
            }
            consoles[node] = Console(
                port: port.withLockedValue { $0 }!, caFile: cluster.configuration.certificatesDirectory + "/ca.pem")
        }
        return consoles
    }

    static func consoles(_ label: String, groupExtra: String = "", trailer: String = "") throws -> TestCluster {
        try TestCluster(
            label: label, groupExtra: groupExtra, trailer: trailer,
            nodeExtra: [
                "alpha": "console = \"127.0.0.1:\(try TestPorts.take())\"",
                "beta": "console = \"127.0.0.1:\(try TestPorts.take())\"",
            ])
    }

    @Test func probes_answer200_onlyWhereTheGroupIsServedOrFollowed() async throws {
        let cluster = try Self.consoles("console-probes")
        defer { Task { await cluster.remove() } }
        TestTree.write(cluster.source, "a.txt", "hello")
        let consoles = try await Self.start(cluster)
        _ = try await cluster.sync()
        let alpha = consoles["alpha"]!
        let beta = consoles["beta"]!

        #expect(try await alpha.get("/health/live").status == 200)
        #expect(try await beta.get("/health/live").status == 200)
        #expect(try await alpha.get("/health/serving/files").status == 200)
        let notServing = try await beta.get("/health/serving/files")
        #expect(notServing.status == 503)
        #expect(notServing.body == "alpha serves group files\n")
        #expect(try await beta.get("/health/standby/files?max_lag=5s").status == 200)
        #expect(try await alpha.get("/health/standby/files?max_lag=5s").status == 503)
        let unknown = try await beta.get("/health/serving/mail")
        #expect(unknown.status == 503)
        #expect(unknown.body == "node beta has no group 'mail'\n")
        let nonsense = try await beta.get("/health/standby/files?max_lag=soon")
        #expect(nonsense.status == 503)
        #expect(nonsense.body.hasPrefix("max_lag: invalid duration 'soon'"))
        #expect(try await beta.get("/no/such/page").status == 404)
    }

    @Test func metrics_followPrometheusConventions_andPassPromtool() async throws {
        let cluster = try Self.consoles("console-metrics")
        defer { Task { await cluster.remove() } }
        TestTree.writeRandomFile(cluster.source, "a.bin", size: 10_000)
        let consoles = try await Self.start(cluster)
        _ = try await cluster.sync()

        let metrics = try await consoles["beta"]!.get("/metrics")
        #expect(metrics.status == 200)
        let text = metrics.body
        #expect(text.contains("understudy_build_info{version=\"\(UnderstudyVersion.current)\",node=\"beta\""))
        #expect(text.contains("understudy_replication_lag_seconds{group=\"files\",share=\"data\"} "))
        #expect(text.contains("understudy_group_role{group=\"files\",role=\"standby\"} 1"))
        #expect(text.contains("understudy_group_role{group=\"files\",role=\"primary\"} 0"))
        #expect(text.contains("understudy_replication_in_sync{group=\"files\",share=\"data\"} 1"))
        #expect(!text.contains("understudy_change_capture_complete"), "the standby captures nothing")
        let primary = try await consoles["alpha"]!.get("/metrics").body
        #expect(
            primary.contains(
                "understudy_change_capture_complete{group=\"files\",share=\"data\",backend=\"fanotify\"} 1"),
            "\(primary.split(separator: "\n").filter { $0.contains("capture") })")
        let received = Self.value(
            of: "understudy_replication_received_bytes_total{group=\"files\",share=\"data\"}", in: text)
        #expect((received ?? 0) >= 10_000, "the bytes the first sync brought (\(String(describing: received)))")

        let file = cluster.root + "/metrics.txt"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let promtool = await ProcessRunner.run("promtool check metrics < '\(file)'", timeout: 60)
        #expect(
            promtool.succeeded,
            "promtool check metrics (scripts/setup installs Debian's prometheus): \(promtool.output)")
    }

    @Test func theAPIDescription_isTheOneInTheRepository_andEveryPathItNamesIsServed() async throws {
        let cluster = try Self.consoles("console-openapi")
        defer { Task { await cluster.remove() } }
        let consoles = try await Self.start(cluster)
        let served = try await consoles["alpha"]!.get("/api/openapi.json")
        #expect(served.status == 200)
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let kept = try Data(contentsOf: URL(fileURLWithPath: repository.path + "/docs/api/openapi.json"))
        // The binary serves it compacted: the same document, without its layout.
        let document = try JSONSerialization.jsonObject(with: Data(served.body.utf8)) as? [String: Any]
        let keptDocument = try JSONSerialization.jsonObject(with: kept) as? [String: Any]
        #expect(
            document.map { NSDictionary(dictionary: $0) } == keptDocument.map { NSDictionary(dictionary: $0) },
            "docs/api/openapi.json changed: run scripts/embed-assets")
        let paths = document?["paths"] as? [String: [String: Any]] ?? [:]
        #expect(paths.count >= 25)
        let console = consoles["alpha"]!
        for (path, operations) in paths.sorted(by: { $0.key < $1.key }) {
            let concrete = path.replacingOccurrences(of: "{group}", with: "files")
                .replacingOccurrences(of: "{name}", with: "nobody").replacingOccurrences(of: "{id}", with: "00000000")
            for method in operations.keys.sorted() {
                let answer = try await console.client.send(
                    method: HTTPMethod(rawValue: method.uppercased()), url: console.base + concrete, headers: [],
                    body: nil, timeout: 10, bodyLimit: 1 << 20)
                #expect(answer.status != 404 && answer.status != 405, "\(method) \(path) is described but not served")
                #expect(answer.status < 500 || path.hasPrefix("/health/"), "\(method) \(path): \(answer.status)")
            }
        }
    }

    @Test func theConsole_speaksOnlyTLS_withTheCertificateItWasGiven() async throws {
        let certificate = try await SelfSignedCertificate.make()
        defer { certificate.remove() }
        let cluster = try Self.consoles(
            "console-own-certificate",
            trailer: "[console]\ncertificate = \"\(certificate.certificatePath)\"\nkey = \"\(certificate.keyPath)\"")
        defer { Task { await cluster.remove() } }
        let consoles = try await Self.start(cluster)
        let port = Int(consoles["alpha"]!.base.split(separator: ":").last!)!
        // Verified against the given certificate itself, host name included (it names 127.0.0.1).
        let own = Console(port: port, caFile: certificate.certificatePath, verifyHostname: true)
        #expect(try await own.get("/health/live").status == 200)
        // The cluster's authority did not issue it.
        await #expect(throws: HTTPClientError.self) { try await consoles["alpha"]!.get("/health/live") }
        // Plain HTTP gets no answer.
        let plain = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        await #expect(throws: HTTPClientError.self) {
            try await plain.get("http://127.0.0.1:\(port)/health/live", timeout: 5)
        }
    }

    @Test func anUnreadableCertificate_stopsTheNodeAtStart_sayingWhichFile() throws {
        let cluster = try Self.consoles(
            "console-bad-certificate",
            trailer: "[console]\ncertificate = \"/nonexistent/console.pem\"\nkey = \"/nonexistent/console.key\"")
        defer { Task { await cluster.remove() } }
        do {
            try cluster.start("alpha")
            Issue.record("the node started with a certificate that cannot be read")
        } catch let error as ConsoleError {
            #expect(error.code == .certificateUnreadable)
            #expect(error.message.contains("'/nonexistent/console.pem'"))
        }
    }

    static func value(of series: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap {
            Double($0.split(separator: " ").last!)
        }
    }
}

struct ConsoleTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
