/// Where notifications go (`[notify]` and its tables); every channel is optional, and all configured
/// channels get every event.
public struct NotificationConfiguration: Sendable, Equatable {
    public static let defaultRepeatAfter = ConfigDuration(seconds: 600)

    /// The same event (kind, group, topic) again within this is counted, not sent (`repeat_after`, default 10m).
    public var repeatAfter: ConfigDuration
    /// A group's replication stuck this long is told (`replication_stalled_after`, default 1m): a standby not
    /// connected to its primary, or changes waiting that long to reach the replica.
    public var replicationStalledAfter: ConfigDuration = Self.defaultReplicationStalledAfter
    public static let defaultReplicationStalledAfter = ConfigDuration(seconds: 60)
    public var email: EmailNotification?
    public var webhook: WebhookNotification?
    public var command: CommandNotification?
    public var snmp: SNMPNotification?

    public init(
        repeatAfter: ConfigDuration = Self.defaultRepeatAfter, email: EmailNotification? = nil,
        webhook: WebhookNotification? = nil, command: CommandNotification? = nil
    ) {
        self.repeatAfter = repeatAfter
        self.email = email
        self.webhook = webhook
        self.command = command
    }

    public var isEmpty: Bool { email == nil && webhook == nil && command == nil && snmp == nil }
}

/// `[notify.email]`: one message per event through an SMTP server.
public struct EmailNotification: Sendable, Equatable {
    public enum Security: String, Sendable {
        /// Plain SMTP (a relay on the local network).
        case none
        /// STARTTLS is required; the server's certificate is verified against the system's trust roots
        /// (or `ca_file`).
        case starttls
    }

    /// "host:port"; port 25 when omitted (`server`).
    public var server: PeerAddress
    public var security: Security
    /// The CA file to verify the server with instead of the system's roots (`ca_file`).
    public var caFile: String?
    /// AUTH PLAIN/LOGIN after STARTTLS when set (`username`, `password_file`: the password is read from a
    /// file so the configuration can be world-readable).
    public var username: String?
    public var passwordFile: String?
    public var from: String
    public var to: [String]

    public init(
        server: PeerAddress, security: Security = .none, caFile: String? = nil, username: String? = nil,
        passwordFile: String? = nil, from: String, to: [String]
    ) {
        self.server = server
        self.security = security
        self.caFile = caFile
        self.username = username
        self.passwordFile = passwordFile
        self.from = from
        self.to = to
    }
}

/// `[notify.webhook]`: a JSON POST per event.
public struct WebhookNotification: Sendable, Equatable {
    /// http:// or https:// URL (`url`).
    public var url: String
    public var timeout: ConfigDuration

    public init(url: String, timeout: ConfigDuration = ConfigDuration(seconds: 10)) {
        self.url = url
        self.timeout = timeout
    }
}

/// `[notify.command]`: a command run by /bin/sh -c per event, the event in UNDERSTUDY_* environment variables.
public struct CommandNotification: Sendable, Equatable {
    public var command: String
    public var timeout: ConfigDuration

    public init(command: String, timeout: ConfigDuration = ConfigDuration(seconds: 30)) {
        self.command = command
        self.timeout = timeout
    }
}

/// `[notify.snmp]`: an SNMPv2 trap per event to a manager (`target`, UDP port 162 by default), SNMPv2c with a
/// `community`, or SNMPv3 with a `user` authenticated by HMAC-SHA (`auth` "SHA" or "SHA-256", the password read from
/// `auth_password_file`) from the engine `engine_id`.
public struct SNMPNotification: Sendable, Equatable {
    public enum Security: Sendable, Equatable {
        case community(String)
        case user(name: String, auth: AuthProtocol, passwordFile: String)
    }

    public enum AuthProtocol: String, Sendable, Equatable {
        case sha = "SHA"
        case sha256 = "SHA-256"
    }

    public var target: PeerAddress
    public var security: Security
    /// The SNMP engine ID this node sends as (5 to 32 bytes); the manager's user entry names it.
    public var engineID: [UInt8]
    public var trapOID: String
    public var objectsOID: String

    public init(
        target: PeerAddress, security: Security, engineID: [UInt8], trapOID: String = SNMPTrap.defaultTrapOID,
        objectsOID: String = SNMPTrap.defaultObjectsOID
    ) {
        self.target = target
        self.security = security
        self.engineID = engineID
        self.trapOID = trapOID
        self.objectsOID = objectsOID
    }

    /// The engine ID a node uses when `engine_id` is not set: 0x80000000 (no enterprise), format 4 (text), and the
    /// first 27 bytes of the node's name.
    public static func defaultEngineID(node: String) -> [UInt8] {
        [0x80, 0x00, 0x00, 0x00, 0x04] + Array(node.utf8.prefix(27))
    }
}
