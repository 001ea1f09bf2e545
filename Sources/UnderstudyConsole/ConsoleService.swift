import Hummingbird
import HummingbirdHTTP2
import Logging
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import UnderstudyAccounts
import ServiceLifecycle
import UnderstudyControl
import UnderstudyCore
import UnderstudySupport

/// The node's HTTPS listener (`[console] listen`): the health probes, `/metrics` and the API's description. A
/// Service of the node's group: it starts with the node, and a graceful shutdown closes the listener after the
/// requests in flight are answered.
package struct ConsoleService: Service {
    let address: PeerAddress
    let tls: ConsoleTLS
    let node: any ConsoleNode
    let accounts: AccountStore
    let events: any EventSource
    let metrics: NodeMetrics
    /// The cluster's nodes, for `/api/v1/nodes`.
    let nodes: @Sendable () -> [ClusterNodeView]
    /// The node's clock: sessions, tokens' expiry and the lag history read it, never the system's directly.
    let clock: any EngineClock
    let logger: Logger
    /// Called with the bound port once the listener is up (tests bind port 0).
    let onListening: @Sendable (Int) -> Void

    package init(
        address: PeerAddress, tls: ConsoleTLS, node: any ConsoleNode, accounts: AccountStore,
        events: any EventSource, metrics: NodeMetrics,
        configuration: @escaping @Sendable () -> ClusterConfiguration, clock: any EngineClock,
        logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.clock = clock
        nodes = { ClusterNodeView.all(configuration()) }
        self.address = address
        self.tls = tls
        self.node = node
        self.accounts = accounts
        self.events = events
        self.metrics = metrics
        self.logger = logger
        self.onListening = onListening
    }

    package func run() async throws {
        let router = Router(context: ConsoleContext.self)
        router.add(middleware: MethodGuard())
        let stopping = NIOLockedValueBox(false)
        routes(on: router)
        let api = ConsoleAPI(
            node: node, accounts: accounts, events: events, logger: logger,
            now: { [clock] in clock.wallTime().timeIntervalSince1970 }, stopping: stopping, nodes: nodes)
        let history = LagHistory()
        api.routes(on: router)
        api.consoleRoutes(on: router, history: history)
        let logger = logger
        let address = address
        let onListening = onListening
        let application = Application(
            router: router,
            // HTTP/2 where the client offers it (ALPN; HTTP/1.1 otherwise): a browser's event streams and requests share
            // one connection, so tabs left open cannot use up its six connections per host.
            server: try .http2Upgrade(tlsConfiguration: tls.configuration),
            configuration: ApplicationConfiguration(
                address: .hostname(address.host, port: address.port), serverName: "understudy"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? address.port
                logger.info("console listening on https://\(PeerAddress(host: address.host, port: port))")
                onListening(port)
            },
            logger: Self.quiet(logger))
        // Event streams end when the node stops, so that the listener's graceful shutdown does not wait on them.
        let node = node
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await application.run() }
                // The lag history the console's charts draw, sampled while the listener runs (until the listener
                // has ended and this is cancelled).
                tasks.addTask {
                    while true {
                        history.record(node.report(), at: clock.wallTime().timeIntervalSince1970)
                        try await clock.sleep(seconds: LagHistory.interval)
                    }
                }
                try await tasks.next()
                tasks.cancelAll()
            }
        } onGracefulShutdown: {
            stopping.withLockedValue { $0 = true }
        }
    }

    private func routes(on router: Router<ConsoleContext>) {
        let status = node
        let metrics = metrics
        router.get("/health/live") { _, _ in
            Self.text(.ok, "understudy is running")
        }
        router.get("/health/serving/:group") { _, context in
            let group = context.parameters.get("group") ?? ""
            return Self.answer(HealthProbe.serving(group, in: status.report()))
        }
        router.get("/health/standby/:group") { request, context in
            let group = context.parameters.get("group") ?? ""
            switch HealthProbe.maxLag(request.uri.queryParameters.get("max_lag")) {
            case .failure(let error):
                return Self.text(.serviceUnavailable, "max_lag: \(error)")
            case .success(let maxLag):
                return Self.answer(HealthProbe.standby(group, maxLag: maxLag, in: status.report()))
            }
        }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render(status.report()))))
        }
        router.get("/api/openapi.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(
                status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.text)))
        }
    }

    private static func answer(_ verdict: HealthProbe.Verdict) -> Response {
        text(verdict.healthy ? .ok : .serviceUnavailable, verdict.reason)
    }

    private static func text(_ status: HTTPResponse.Status, _ line: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(
            status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: line + "\n")))
    }

    /// Hummingbird logs every request at debug level and more; the node's log keeps only its warnings.
    private static func quiet(_ logger: Logger) -> Logger {
        var logger = logger
        logger.logLevel = max(logger.logLevel, .warning)
        return logger
    }
}
