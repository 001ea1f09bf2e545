/// How a group's standby proves it could take over (`verify_every`, `proof_timeout`, `proof_private`): it starts the
/// group's services on a snapshot of its replica, in private namespaces that carry the service address, runs the
/// group's checks against them, and records the proof (see `ProofRecord`).
public struct ProofConfiguration: Sendable, Equatable {
    public static let defaultEvery = ConfigDuration(seconds: 3600)
    public static let minimumEvery = ConfigDuration(seconds: 60)
    public static let defaultTimeout = ConfigDuration(seconds: 120)
    /// Directories every proof gives a private, writable layer besides the replicas: what a service writes there
    /// (pid files, sockets) stays in the proof.
    public static let alwaysPrivate = ["/run"]

    /// How often the standby proves the group (`verify_every`, default 1h, at least 1m; "off": only when asked with
    /// `understudy verify GROUP`).
    public var every: ConfigDuration?
    /// How long the services may take from the first start step until every check passes (`proof_timeout`,
    /// default 2m); longer is a failed proof.
    public var timeout: ConfigDuration
    /// More directories the services write to that must stay private in a proof (`proof_private`, absolute
    /// paths, e.g. "/var/lib/samba"): each gets a writable layer over what is there; writes never reach it.
    public var privateDirectories: [String]
    /// The service's own check of its configuration (`syntax_check`, a recipe's by default, e.g. "nginx -t -q"): the
    /// first step of every proof; a failure fails the proof before anything starts.
    public var syntaxCheck: String?

    public init(
        every: ConfigDuration? = Self.defaultEvery, timeout: ConfigDuration = Self.defaultTimeout,
        privateDirectories: [String] = [], syntaxCheck: String? = nil
    ) {
        self.syntaxCheck = syntaxCheck
        self.every = every
        self.timeout = timeout
        self.privateDirectories = privateDirectories
    }
}
