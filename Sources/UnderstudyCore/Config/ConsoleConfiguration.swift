/// `[console]`: the HTTPS listener of the API, the web console, the health probes and `/metrics`. Off unless
/// `listen` is set, for the whole cluster or (`console = "ADDR:PORT"` in `[nodes.NAME]`) for one node.
public struct ConsoleConfiguration: Sendable, Equatable {
    /// `listen = "ADDR:PORT"` ("0.0.0.0:8443", "[::]:8443"): where every node listens unless its own table says
    /// otherwise; nil: no node listens.
    public var listen: PeerAddress?
    /// `certificate` and `key`: PEM files of the certificate (with its chain) and key the listener shows; nil: the
    /// node's own certificate from the cluster's authority.
    public var certificate: String?
    public var key: String?

    public init(listen: PeerAddress? = nil, certificate: String? = nil, key: String? = nil) {
        self.listen = listen
        self.certificate = certificate
        self.key = key
    }
}

extension ClusterConfiguration {
    /// Where node `name`'s console listens: its own `console`, else `[console] listen`; nil when it does not.
    public func consoleAddress(of name: String) -> PeerAddress? {
        nodes[name]?.console ?? console.listen
    }
}
