/// A service check: something the standby does to the primary's service (through the service address) and
/// the primary does to itself, with interval, timeout and rise/fall counts. `[[groups.NAME.checks]]`, and a
/// node's `isolation_check`.
public struct CheckConfiguration: Sendable, Equatable {
    public enum Probe: Sendable, Equatable {
        /// Connects and closes (`type = "tcp"`, `target = "host:port"`).
        case tcp(PeerAddress)
        /// GETs a URL and expects a status (default 200–399) and, when set, a substring of the body
        /// (`type = "http"` or `"https"`, `url`, `expect_status`, `expect_body`, `insecure`).
        case http(url: String, expectStatus: Int?, expectBody: String?, insecure: Bool)
        /// Reads a file through a path, e.g. a canary on a mounted share (`type = "file"`, `path`, `expect_body`).
        case file(path: String, expectBody: String?)
        /// Runs a command by /bin/sh -c; exit status 0 passes (`type = "command"`, `command`).
        case command(String)
        /// Talks to a mail server: greeting and EHLO, and with `mailTo` a test message it must take for delivery
        /// (`type = "smtp"`, `target = "host:port"`, `mail_to`).
        case smtp(PeerAddress, mailTo: String?)

        public var typeName: String {
            switch self {
            case .tcp: "tcp"
            case .http(let url, _, _, _): url.lowercased().hasPrefix("https:") ? "https" : "http"
            case .file: "file"
            case .command: "command"
            case .smtp: "smtp"
            }
        }

        /// What it exercises, for status and messages.
        public var target: String {
            switch self {
            case .tcp(let address): address.description
            case .http(let url, _, _, _): url
            case .file(let path, _): path
            case .command(let command): command
            case .smtp(let address, _): address.description
            }
        }
    }

    public static let defaultInterval = ConfigDuration(seconds: 0.2)
    public static let defaultTimeout = ConfigDuration(seconds: 0.3)
    public static let defaultRise = 2
    public static let defaultFall = 2

    /// Unique within the group (`name`, default "<type>-<position>").
    public var name: String
    public var probe: Probe
    public var interval: ConfigDuration
    public var timeout: ConfigDuration
    /// Consecutive passes that make a failing check pass again.
    public var rise: Int
    /// Consecutive failures that make a passing check fail.
    public var fall: Int

    public init(
        name: String, probe: Probe, interval: ConfigDuration = Self.defaultInterval,
        timeout: ConfigDuration = Self.defaultTimeout, rise: Int = Self.defaultRise, fall: Int = Self.defaultFall
    ) {
        self.name = name
        self.probe = probe
        self.interval = interval
        self.timeout = timeout
        self.rise = rise
        self.fall = fall
    }
}
