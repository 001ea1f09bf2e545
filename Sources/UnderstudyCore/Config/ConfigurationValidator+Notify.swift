/// `[notify]` (`repeat_after`) with `[notify.email]`, `[notify.webhook]` and `[notify.command]`.
extension ConfigurationValidator {
    static let notifyKeys = ["repeat_after", "replication_stalled_after", "email", "webhook", "command"]
    static let emailKeys = ["server", "starttls", "ca_file", "username", "password_file", "from", "to"]
    static let webhookKeys = ["url", "timeout"]
    static let commandNotifyKeys = ["command", "timeout"]

    mutating func readNotify(_ root: TOMLTable) -> NotificationConfiguration? {
        guard let value = root["notify"] else { return NotificationConfiguration() }
        guard let table = value.table else {
            report(.wrongType, value.line, "'notify' must be a table, like [notify.email], not \(value.typeDescription)")
            return nil
        }
        checkKeys(of: table, allowed: Self.notifyKeys, place: "[notify]")
        let repeatAfter = readDuration("repeat_after", table, place: "[notify]", default: NotificationConfiguration.defaultRepeatAfter,
                                       range: ConfigDuration(seconds: 0)...ConfigDuration(seconds: 86400 * 7))
        let stalledAfter = readDuration("replication_stalled_after", table, place: "[notify]",
                                        default: NotificationConfiguration.defaultReplicationStalledAfter,
                                        range: ConfigDuration(seconds: 5)...ConfigDuration(seconds: 86400 * 7))
        var valid = repeatAfter != nil && stalledAfter != nil
        var configuration = NotificationConfiguration(repeatAfter: repeatAfter ?? NotificationConfiguration.defaultRepeatAfter)
        configuration.replicationStalledAfter = stalledAfter ?? NotificationConfiguration.defaultReplicationStalledAfter
        if let email = subtable("email", of: table) {
            if let read = readEmail(email) { configuration.email = read } else { valid = false }
        } else if table["email"] != nil { valid = false }
        if let webhook = subtable("webhook", of: table) {
            if let read = readWebhook(webhook) { configuration.webhook = read } else { valid = false }
        } else if table["webhook"] != nil { valid = false }
        if let command = subtable("command", of: table) {
            let place = "[notify.command]"
            checkKeys(of: command, allowed: Self.commandNotifyKeys, place: place)
            let line = readCommand("command", command, place: place, required: true)
            let timeout = readDuration("timeout", command, place: place, default: ConfigDuration(seconds: 30),
                                       range: ConfigDuration(seconds: 0.1)...ConfigDuration(seconds: 3600))
            if let line, let timeout { configuration.command = CommandNotification(command: line, timeout: timeout) } else { valid = false }
        } else if table["command"] != nil { valid = false }
        return valid ? configuration : nil
    }

    private mutating func subtable(_ key: String, of table: TOMLTable) -> TOMLTable? {
        guard let value = table[key] else { return nil }
        guard let sub = value.table else {
            report(.wrongType, value.line, "'\(key)' in [notify] must be a table, like [notify.\(key)], not \(value.typeDescription)")
            return nil
        }
        return sub
    }

    private mutating func readEmail(_ table: TOMLTable) -> EmailNotification? {
        let place = "[notify.email]"
        checkKeys(of: table, allowed: Self.emailKeys, place: place)
        var server: PeerAddress?
        if let (text, line) = readString("server", in: table, place: place, required: true, expectation: "\"host:port\"") {
            do throws(PeerAddressError) {
                server = try PeerAddress.parse(text.contains(":") ? text : text + ":25")
            } catch {
                report(.invalidAddress, line, "\(Self.subject("server", place)): \(error)")
            }
        }
        let starttls = readBool("starttls", table, place: place, default: false)
        let caFile = table["ca_file"] == nil ? .some(nil) : readAbsolutePath("ca_file", in: table, place: place, required: true).map { Optional($0.0) }
        let username = readString("username", in: table, place: place, required: false)?.0
        let passwordFile = table["password_file"] == nil ? .some(nil) : readAbsolutePath("password_file", in: table, place: place, required: true).map { Optional($0.0) }
        // Only when both read cleanly: a bad value has its own message, and is not missing.
        let usernameRead = table["username"] == nil || username != nil
        if usernameRead, let passwordFile, (username == nil) != (passwordFile == nil) {
            report(.missingKey, table.line, "\(place) needs both 'username' and 'password_file' for a login, or neither")
            return nil
        }
        let from = readMailbox("from", table, place: place)
        var to: [String]? = []
        if table["to"] == nil {
            report(.missingKey, table.line, "missing required key 'to' in \(place); list the addresses to tell, like to = [\"admin@example.com\"]")
            to = nil
        } else if let entries = readStringArray("to", in: table, place: place) {
            for (address, line) in entries {
                if Self.isMailbox(address) { to?.append(address) } else {
                    report(.invalidValue, line, "'\(address)' in 'to' of \(place) is not an email address like admin@example.com")
                    to = nil
                }
            }
            if to?.isEmpty == true {
                report(.invalidValue, table["to"]!.line, "'to' in \(place) is empty; list at least one address")
                to = nil
            }
        } else {
            to = nil
        }
        guard let server, let starttls, let caFile, let passwordFile, let from, let to else { return nil }
        return EmailNotification(server: server, security: starttls ? .starttls : .none, caFile: caFile, username: username,
                                 passwordFile: passwordFile, from: from, to: to)
    }

    private mutating func readMailbox(_ key: String, _ table: TOMLTable, place: String) -> String? {
        guard let (text, line) = readString(key, in: table, place: place, required: true, expectation: "an email address") else { return nil }
        guard Self.isMailbox(text) else {
            report(.invalidValue, line, "\(Self.subject(key, place)) is '\(text)', not an email address like understudy@example.com")
            return nil
        }
        return text
    }

    /// local@domain without spaces, angle brackets or line breaks (they would break the SMTP dialogue).
    static func isMailbox(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && !text.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0.isNewline })
    }

    private mutating func readWebhook(_ table: TOMLTable) -> WebhookNotification? {
        let place = "[notify.webhook]"
        checkKeys(of: table, allowed: Self.webhookKeys, place: place)
        var url: String?
        if let (text, line) = readString("url", in: table, place: place, required: true, expectation: "a URL") {
            let lowered = text.lowercased()
            if (lowered.hasPrefix("http://") && text.count > 7) || (lowered.hasPrefix("https://") && text.count > 8) {
                url = text
            } else {
                report(.invalidValue, line, "\(Self.subject("url", place)) is '\(text)'; it must start with http:// or https://")
            }
        }
        let timeout = readDuration("timeout", table, place: place, default: ConfigDuration(seconds: 10),
                                   range: ConfigDuration(seconds: 0.1)...ConfigDuration(seconds: 600))
        guard let url, let timeout else { return nil }
        return WebhookNotification(url: url, timeout: timeout)
    }
}
