#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NIOConcurrencyHelpers
@testable import UnderstudyCertificates
@testable import UnderstudyControl
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudySupport

/// Two real nodes on loopback — alpha (primary) and beta (standby) — with their own CA, state directories and
/// ports, run as in-process daemons (or, for crash tests, as processes of the built binary).
final class TestCluster: @unchecked Sendable {
    let root: String
    let source: String
    let replica: String
    let configPath: String
    let configuration: ClusterConfiguration
    /// With `relayed`, the standby reaches the primary through this relay (see `TCPRelay.cut`).
    let relay: TCPRelay?
    private let standbyConfiguration: ClusterConfiguration
    let logs = LogCapture()
    private var daemons: [String: Task<Void, Error>] = [:]
    private var listeners: [String: NIOLockedValueBox<Bool>] = [:]

    init(
        label: String, exclude: [String] = [], include: [String] = [], resyncInterval: String = "1h",
        groupExtra: String = "",
        relayed: Bool = false, shareExtra: String = "", trailer: String = "", nodeExtra: [String: String] = [:],
        replicaName: String = "replica", moreNodes: [String] = []
    ) throws {
        root = TestTree.makeTemporaryDirectory(label)
        source = root + "/source"
        replica = root + "/" + replicaName
        configPath = root + "/understudy.toml"
        mkdir(source, 0o755)
        let quoted = { (list: [String]) in "[" + list.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        let alphaPort = try TestCluster.freePort()
        // `@ROOT@` in the extra text is the cluster's directory (a third node's state, another group's trees).
        let text = """
            cluster = "test"
            certificates = "\(root)/certs"

            [nodes.alpha]
            address = "127.0.0.1:\(alphaPort)"
            state_dir = "\(root)/alpha-state"
            \(nodeExtra["alpha"] ?? "")

            [nodes.beta]
            address = "127.0.0.1:\(try TestCluster.freePort())"
            state_dir = "\(root)/beta-state"
            \(nodeExtra["beta"] ?? "")

            [groups.files]
            primary = "alpha"
            standby = "beta"
            resync_interval = "\(resyncInterval)"
            \(groupExtra)

            [[groups.files.shares]]
            name = "data"
            source = "\(source)"
            replica = "\(replica)"
            exclude = \(quoted(exclude))
            include = \(quoted(include))
            \(shareExtra)
            \(trailer)

            """.replacingOccurrences(of: "@ROOT@", with: root)
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        configuration = try ConfigurationLoader.load(text: text, path: configPath).get()
        if relayed {
            let relay = try TCPRelay(target: alphaPort)
            self.relay = relay
            let standbyText = text.replacingOccurrences(of: "127.0.0.1:\(alphaPort)", with: "127.0.0.1:\(relay.port)")
            standbyConfiguration = try ConfigurationLoader.load(text: standbyText, path: configPath).get()
        } else {
            relay = nil
            standbyConfiguration = configuration
        }
        _ = try CertificateStore(directory: configuration.certificatesDirectory)
            .initialize(cluster: "test", nodes: ["alpha", "beta"] + moreNodes, now: Date())
    }

    func start(_ node: String, onConsoleListening: @escaping @Sendable (Int) -> Void = { _ in }) throws {
        let listening = NIOLockedValueBox(false)
        let daemon = try NodeDaemon(
            configuration: node == "beta" ? standbyConfiguration : configuration, node: node,
            logger: logs.logger(node), onListening: { _ in listening.withLockedValue { $0 = true } },
            onConsoleListening: onConsoleListening)
        listeners[node] = listening
        let logs = logs
        daemons[node] = Task {
            do {
                try await daemon.run()
            } catch {
                // Said in the log, which a failing request shows (a daemon that could not start leaves no socket).
                logs.record("error daemon \(node) ended: \(error)")
                throw error
            }
        }
    }

    /// Waits (at most 30 s: a start under the whole suite's load was seen to take more than 10) until `node`
    /// listens for its peers and answers on its control socket, so a request does not race the daemon's start.
    func waitUntilListening(_ node: String) async throws {
        for _ in 0..<3000 where listeners[node]?.withLockedValue({ $0 }) != true {
            try await Task.sleep(for: .milliseconds(10))
        }
        let socket = configuration.nodes[node]!.controlSocket
        for _ in 0..<300 where !FileManager.default.fileExists(atPath: socket) {
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func stop(_ node: String) async {
        guard let task = daemons.removeValue(forKey: node) else { return }
        task.cancel()
        _ = await task.result
    }

    func stopAll() async {
        for node in Array(daemons.keys) { await stop(node) }
    }

    func control(_ node: String) -> ControlClient {
        ControlClient(socketPath: configuration.nodes[node]!.controlSocket)
    }

    /// Asks the standby to sync now; returns when the replica is current (or the sync failed).
    func sync(timeout: Double = 120) async throws -> ControlResponse {
        let client = control("beta")
        return try await onThread { try client.send(ControlRequest.sync(), waitingUpTo: timeout) }
    }

    func status(_ node: String) async throws -> NodeStatusReport {
        let client = control(node)
        do {
            let response = try await onThread { try client.send(ControlRequest.status, waitingUpTo: 30) }
            return response.status!
        } catch {
            throw UnansweredRequest(node: node, cause: error, lastLogLines: logs.all.suffix(20))
        }
    }

    /// A request a node did not answer, with what the cluster logged last: the reason is usually there.
    struct UnansweredRequest: Error, CustomStringConvertible {
        let node: String
        let cause: any Error
        let lastLogLines: ArraySlice<String>
        var description: String {
            "\(node) did not answer: \(cause)\nlast log lines:\n" + lastLogLines.joined(separator: "\n")
        }
    }

    /// Differences between source and replica; hashed on a thread of its own (trees may hold GiBs).
    func differences(skip: @escaping @Sendable (String) -> Bool = { _ in false }) async throws -> [String] {
        let source = source
        let replica = replica
        return try await onThread {
            TestTree.differences(TestTree.snapshot(source, skip: skip), TestTree.snapshot(replica, skip: skip))
        }
    }

    /// Polls until source and replica compare equal (content and metadata) or `seconds` pass; returns the
    /// differences left (empty when converged). Nobody asks for a sync: the live mirror must get there alone.
    func waitUntilConverged(
        seconds: Double = 20, skip: @escaping @Sendable (String) -> Bool = { _ in false }
    ) async throws -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        var left: [String] = []
        repeat {
            left = try await differences(skip: skip)
            if left.isEmpty { return [] }
            try await Task.sleep(for: .milliseconds(100))
        } while Date() < deadline
        return left
    }

    /// The last lines the daemons logged, for a failure message that must say why nothing arrived.
    var recentLog: String { logs.all.suffix(12).joined(separator: " | ") }

    func remove() async {
        await stopAll()
        relay?.stop()
        TestTree.remove(root)
    }

    static func freePort() throws -> Int { try TestPorts.take() }
}

/// Records log lines of in-process daemons so tests can assert on refusals; warnings and errors only.
final class LogCapture: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])

    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { _ in CapturingHandler(capture: self) }
        logger.logLevel = .info
        return logger
    }

    func record(_ line: String) { lines.withLockedValue { $0.append(line) } }
    var all: [String] { lines.withLockedValue { $0 } }
    func containing(_ text: String) -> [String] { all.filter { $0.contains(text) } }

    /// Lines containing `text`, waiting up to `seconds` for one to be logged (the other side of a connection
    /// may log a moment after this side saw the result).
    func waitFor(_ text: String, seconds: Double = 10) async -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        while containing(text).isEmpty && Date() < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return containing(text)
    }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(
            level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
            function: String, line: UInt
        ) {
            capture.record("\(level) \(message)")
        }
    }
}
