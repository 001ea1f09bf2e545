// UnderstudyConsole: the operator's surface over HTTPS, on every node where `[console] listen` (or the node's own
// `console`) is set.
//
// - `ConsoleService` is the Service: a Hummingbird application over TLS (`ConsoleTLS`: the node's own certificate
//   from the cluster's authority, or the PEM files `[console]` names), started with the node and stopped before it.
// - `HealthProbe` answers load balancers and monitors without a login: 200 or 503, nothing else. It is pure: it
//   judges a `NodeStatusReport`.
// - `NodeMetrics` renders `/metrics` in Prometheus's text format through swift-prometheus: the figures of the
//   status report, read at each scrape, so a gauge is never older than the scrape.
// - `OpenAPIDocument` is the API's description, served at `/api/openapi.json`; `docs/api/openapi.json` is the same
//   text (a test keeps them equal).
//
// The console knows the node only through Control's `StatusSnapshotSource` (and, for actions, its
// `ControlRequestHandler`): the typed API the CLI speaks over the control socket.
