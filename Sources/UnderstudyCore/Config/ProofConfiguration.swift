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
    /// The service's configuration files the primary tracks (`config_files`, a recipe's by default; a directory
    /// stands for the files directly in it): every change is a version, mirrored to the standby, which puts the
    /// primary's copy in place only in a proof (in its private namespace) and at takeover.
    public var configFiles: [String]
    /// What each node replaces in the primary's copies before it puts them in place (`[groups.NAME.
    /// config_substitutions.NODE]`, "text" = "replacement"): host names, interface names, addresses.
    public var substitutions: [String: [ConfigSubstitution]]

    public static let maximumConfigFiles = 64

    /// Whether `path` is one of the tracked files: listed itself, or directly in a listed directory. A node takes
    /// and puts in place no other path, whatever a peer sends.
    public func tracks(_ path: String) -> Bool {
        // One spelling only: absolute, no empty, "." or ".." component, no trailing "/", no NUL.
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard path.hasPrefix("/"), components.count >= 3, !path.contains("\0"),
            components.dropFirst().allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." })
        else { return false }
        let parent = String(path[..<path.lastIndex(of: "/")!])
        return configFiles.contains(path) || configFiles.contains(parent)
    }

    public init(
        every: ConfigDuration? = Self.defaultEvery, timeout: ConfigDuration = Self.defaultTimeout,
        privateDirectories: [String] = [], syntaxCheck: String? = nil, configFiles: [String] = [],
        substitutions: [String: [ConfigSubstitution]] = [:]
    ) {
        self.configFiles = configFiles
        self.substitutions = substitutions
        self.syntaxCheck = syntaxCheck
        self.every = every
        self.timeout = timeout
        self.privateDirectories = privateDirectories
    }
}
