/// A ready description of one kind of service (`recipe = "nginx"` in a group): its start and stop steps, protocol-level
/// checks against a canary the primary serves, the directories a proof keeps private, the configuration files it
/// reads and the command that checks their syntax. A group's own keys override each part (`start`, `stop`, `checks`,
/// `proof_private`); `understudy recipe show NAME` prints what it does and `understudy recipe setup GROUP` makes the
/// canary on the primary, in the group's first share, mirrored like any file.
public struct Recipe: Sendable, Equatable {
    public var name: String
    /// One line: what it is for.
    public var summary: String
    /// The canary's path in the group's first share, and what it holds (`canaryText(group:)`).
    public var canaryPath: String
    public var start: [String]
    public var stop: [String]
    /// The checks' templates: `{address}` is the service address (without prefix; IPv6 in brackets), `{share}` the
    /// group's first share's name, `{canary}` the canary's path, `{text}` its text.
    public var checks: [(name: String, type: String, target: String, expectBody: Bool)]
    public var proofPrivate: [String]
    public var configFiles: [String]
    /// The service's own syntax check of its configuration.
    public var syntaxCheck: String
    /// The Debian packages it needs.
    public var packages: [String]

    public static func == (lhs: Recipe, rhs: Recipe) -> Bool { lhs.name == rhs.name }

    /// What the canary holds for `group`: a line no real page or file would hold by chance.
    public static func canaryText(group: String) -> String { "understudy canary of group \(group)\n" }

    /// The recipes of this version, by name.
    public static let all: [String: Recipe] = Dictionary(
        uniqueKeysWithValues: [nginx, apache, samba, postfix].map { ($0.name, $0) })

    public static var names: String { all.keys.sorted().map { "'\($0)'" }.joined(separator: ", ") }

    static let nginx = Recipe(
        name: "nginx", summary: "a web server (nginx): its pages in the group's first share, served on port 80",
        canaryPath: "understudy-canary.html",
        start: ["pgrep --ns $$ --nslist pid -x nginx >/dev/null || nginx"], stop: ["nginx -s quit"],
        checks: [("page", "http", "http://{address}/{canary}", true)],
        proofPrivate: ["/var/log/nginx", "/var/lib/nginx"],
        configFiles: ["/etc/nginx/nginx.conf", "/etc/nginx/sites-enabled"], syntaxCheck: "nginx -t -q",
        packages: ["nginx"])

    static let apache = Recipe(
        name: "apache", summary: "a web server (Apache httpd): its pages in the group's first share, served on port 80",
        canaryPath: "understudy-canary.html",
        start: ["pgrep --ns $$ --nslist pid -x apache2 >/dev/null || apachectl start"], stop: ["apachectl stop"],
        checks: [("page", "http", "http://{address}/{canary}", true)],
        proofPrivate: ["/var/log/apache2", "/var/lib/apache2"],
        configFiles: ["/etc/apache2/apache2.conf", "/etc/apache2/sites-enabled"],
        syntaxCheck: "apachectl configtest", packages: ["apache2"])

    static let samba = Recipe(
        name: "samba",
        summary:
            "a file server (Samba): the group's first share offered as the SMB share of the same name, read with smbclient",
        canaryPath: "understudy-canary.txt",
        start: ["pgrep --ns $$ --nslist pid -x smbd >/dev/null || smbd -D"],
        stop: ["smbcontrol smbd shutdown || pkill --ns $$ --nslist pid -x smbd"],
        checks: [
            (
                "smb", "command",
                "smbclient -N '//{address}/{share}' -c 'get {canary} -' 2>/dev/null | grep -qx '{line}'", false
            )
        ],
        proofPrivate: ["/var/lib/samba", "/var/cache/samba", "/var/log/samba"],
        configFiles: ["/etc/samba/smb.conf"], syntaxCheck: "testparm -s", packages: ["samba", "smbclient"])

    static let postfix = Recipe(
        name: "postfix",
        summary:
            "a mail server (Postfix): the mail spool in the group's first share, SMTP on port 25 taking mail for postmaster",
        canaryPath: "understudy-canary.txt",
        start: ["pgrep --ns $$ --nslist pid -x master >/dev/null || postfix start"], stop: ["postfix stop"],
        checks: [("smtp", "smtp", "{address}:25", false)],
        // Postfix's start completes main.cf (post-install) when it lacks its directories: /etc/postfix stays writable.
        proofPrivate: ["/var/spool/postfix", "/var/lib/postfix", "/etc/postfix"],
        configFiles: ["/etc/postfix/main.cf", "/etc/postfix/master.cf", "/etc/aliases", "/etc/aliases.db"],
        syntaxCheck: "postfix check", packages: ["postfix"])

    /// The recipient of a mail recipe's SMTP check: every mail server takes mail for it (RFC 5321 4.5.1).
    public static let smtpRecipient = "postmaster@localhost"

    /// The checks for `group`, whose service address is `address` and first share `share`.
    public func checks(group: String, address: ServiceAddress, share: String) -> [CheckConfiguration] {
        let host = address.family == .ipv6 ? "[\(address.address)]" : address.address
        let text = Self.canaryText(group: group)
        let line = String(text.dropLast())
        return checks.compactMap { template in
            let target = template.target.replacingOccurrences(of: "{address}", with: host)
                .replacingOccurrences(of: "{share}", with: share).replacingOccurrences(of: "{canary}", with: canaryPath)
                .replacingOccurrences(of: "{line}", with: line)
            let probe: CheckConfiguration.Probe
            switch template.type {
            case "http":
                probe = .http(
                    url: target, expectStatus: nil, expectBody: template.expectBody ? line : nil, insecure: false)
            case "command": probe = .command(target)
            case "smtp":
                guard let address = try? PeerAddress.parse(target) else { return nil }
                probe = .smtp(address, mailTo: Self.smtpRecipient)
            default: return nil
            }
            // A recipe's check runs commands and fetches pages: a second is its least timeout.
            return CheckConfiguration(
                name: template.name, probe: probe, interval: ConfigDuration(seconds: 2),
                timeout: ConfigDuration(seconds: 5))
        }
    }
}
