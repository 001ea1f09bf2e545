import UnderstudyCore

/// A cluster configuration for tests that need a node's runtime without running a daemon: alpha (primary) and beta
/// (standby) of one group `files` with one share `data`, their state under `root`.
enum TestConfiguration {
    static func pair(root: String) throws -> ClusterConfiguration {
        try load(root: root, alphaLinks: "", beta: ("127.0.0.1", ""))
    }

    /// alpha and beta as `pair`, with a link `lan` between them (alpha on 127.0.0.1, beta on 127.0.0.2), so they take
    /// part in failover; `heartbeat` is the `[heartbeat]` table's body, `group` more keys of group `files`.
    /// - Parameter trailer: more of the file after group `files` (another group).
    static func linkedPair(
        root: String, heartbeat: String = "", group: String = "", trailer: String = ""
    ) throws -> ClusterConfiguration {
        try load(
            root: root, heartbeat: "[heartbeat]\n\(heartbeat)", alphaLinks: "[nodes.alpha.links]\nlan = \"127.0.0.1\"",
            beta: ("127.0.0.2", "[nodes.beta.links]\nlan = \"127.0.0.2\""), group: group, trailer: trailer)
    }

    private static func load(
        root: String, heartbeat: String = "", alphaLinks: String, beta: (host: String, links: String),
        group: String = "", trailer: String = ""
    ) throws -> ClusterConfiguration {
        let text = """
            cluster = "test"
            certificates = "\(root)/certs"

            \(heartbeat)

            [nodes.alpha]
            address = "127.0.0.1:\(try TestPorts.take())"
            state_dir = "\(root)/alpha-state"
            \(alphaLinks)

            [nodes.beta]
            address = "\(beta.host):\(try TestPorts.take())"
            state_dir = "\(root)/beta-state"
            \(beta.links)

            [groups.files]
            primary = "alpha"
            standby = "beta"
            \(group)

            [[groups.files.shares]]
            name = "data"
            source = "\(root)/source"
            replica = "\(root)/replica"

            \(trailer)
            """
        return try ConfigurationLoader.load(text: text, path: root + "/understudy.toml").get()
    }
}
