// UnderstudyControl: the node's typed API and its local transport. ControlSocket (a Service) is a Unix socket,
// owner-only from its first instant, that decodes one ControlRequest per line and hands it to a
// ControlRequestHandler; ControlCommands is the node's handler (status, sync, archives, failover, switchovers,
// conflicts, adoption) and its StatusSnapshotSource, and knows no transport, so the HTTP API can bring it the same
// requests. ControlClient is the CLI's side; SwitchoverForwarder carries a switchover asked on one node to the node
// that must start it.
