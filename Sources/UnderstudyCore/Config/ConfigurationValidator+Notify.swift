/// `[notify]` (`repeat_after`) with `[notify.email]`, `[notify.webhook]` and `[notify.command]`.
extension ConfigurationValidator {
    static let notifyKeys = ["repeat_after", "replication_stalled_after", "email", "webhook", "command", "snmp"]
    static let snmpKeys = [
        "target", "version", "community", "user", "auth", "auth_password_file", "engine_id", "trap_oid", "objects_oid",
    ]
    static let emailKeys = ["server", "starttls", "ca_file", "username", "password_file", "from", "to"]
    static let webhookKeys = ["url", "timeout"]
    static let commandNotifyKeys = ["command", "timeout"]

    mutating func readNotify(_ root: TOMLTable) -> NotificationConfiguration? {
        guard let value = root["notify"] else { return NotificationConfiguration() }
        guard let table = value.table else {
            report(
                .wrongType, value.line, "'notify' must be a table, like [notify.email], not \(value.typeDescription)")
            return nil
        }
        checkKeys(of: table, allowed: Self.notifyKeys, place: "[notify]")
        let repeatAfter = readDuration(
            "repeat_after", table, place: "[notify]", default: NotificationConfiguration.defaultRepeatAfter,
            range: ConfigDuration(seconds: 0)...ConfigDuration(seconds: 86400 * 7))
        let stalledAfter = readDuration(
            "replication_stalled_after", table, place: "[notify]",
            default: NotificationConfiguration.defaultReplicationStalledAfter,
            range: ConfigDuration(seconds: 5)...ConfigDuration(seconds: 86400 * 7))
        var valid = repeatAfter != nil && stalledAfter != nil
        var configuration = NotificationConfiguration(
            repeatAfter: repeatAfter ?? NotificationConfiguration.defaultRepeatAfter)
        configuration.replicationStalledAfter = stalledAfter ?? NotificationConfiguration.defaultReplicationStalledAfter
        if let email = subtable("email", of: table) {
            if let read = readEmail(email) { configuration.email = read } else { valid = false }
        } else if table["email"] != nil {
            valid = false
        }
        if let webhook = subtable("webhook", of: table) {
            if let read = readWebhook(webhook) { configuration.webhook = read } else { valid = false }
        } else if table["webhook"] != nil {
            valid = false
        }
        if let command = subtable("command", of: table) {
            let place = "[notify.command]"
            checkKeys(of: command, allowed: Self.commandNotifyKeys, place: place)
            let line = readCommand("command", command, place: place, required: true)
            let timeout = readDuration(
                "timeout", command, place: place, default: ConfigDuration(seconds: 30),
                range: ConfigDuration(seconds: 0.1)...ConfigDuration(seconds: 3600))
            if let line, let timeout {
                configuration.command = CommandNotification(command: line, timeout: timeout)
            } else {
                valid = false
            }
        } else if table["command"] != nil {
            valid = false
        }
        if let snmp = subtable("snmp", of: table) {
            if let read = readSNMP(snmp) { configuration.snmp = read } else { valid = false }
        } else if table["snmp"] != nil {
            valid = false
        }
        return valid ? configuration : nil
    }

    private mutating func readSNMP(_ table: TOMLTable) -> SNMPNotification? {
        let place = "[notify.snmp]"
        checkKeys(of: table, allowed: Self.snmpKeys, place: place)
        var target: PeerAddress?
        if let (text, line) = readString(
            "target", in: table, place: place, required: true, expectation: "\"host:port\"")
        {
            do throws(PeerAddressError) {
                target = try PeerAddress.parse(text.contains(":") && !text.hasSuffix("]") ? text : text + ":162")
            } catch {
                report(.invalidAddress, line, "\(Self.subject("target", place)): \(error)")
            }
        }
        let version = readChoice("version", table, place: place, choices: ["2c", "3"], default: "2c")
        var security: SNMPNotification.Security?
        if version == "3" {
            for key in ["community"] where table[key] != nil {
                report(
                    .invalidValue, table[key]!.line,
                    "\(Self.subject(key, place)) is for version \"2c\"; version 3 authenticates a 'user'")
            }
            let user = readString("user", in: table, place: place, required: true)?.0
            let auth = readChoice("auth", table, place: place, choices: ["SHA", "SHA-256"], default: "SHA-256")
            let passwordFile = readAbsolutePath("auth_password_file", in: table, place: place, required: true)?.0
            if let user, user.isEmpty || user.utf8.count > 32 {
                report(.invalidValue, table["user"]!.line, "\(Self.subject("user", place)) must be 1 to 32 characters")
            } else if let user, let auth, let passwordFile {
                security = .user(
                    name: user, auth: SNMPNotification.AuthProtocol(rawValue: auth)!, passwordFile: passwordFile)
            }
        } else if version == "2c" {
            for key in ["user", "auth", "auth_password_file"] where table[key] != nil {
                report(
                    .invalidValue, table[key]!.line,
                    "\(Self.subject(key, place)) needs version = \"3\"; version \"2c\" sends a 'community'")
            }
            if let (community, line) = readString("community", in: table, place: place, required: false) {
                if community.isEmpty || community.utf8.count > 64 {
                    report(.invalidValue, line, "\(Self.subject("community", place)) must be 1 to 64 characters")
                } else {
                    security = .community(community)
                }
            } else if table["community"] == nil {
                security = .community("public")
            }
        }
        var engineID: [UInt8]? = []
        if let (text, line) = readString(
            "engine_id", in: table, place: place, required: false,
            expectation: "hex digits like \"0x80000000046e6f6465\"")
        {
            let digits = text.lowercased().hasPrefix("0x") ? String(text.dropFirst(2)) : text
            let bytes = stride(from: 0, to: digits.count, by: 2).compactMap { offset -> UInt8? in
                let start = digits.index(digits.startIndex, offsetBy: offset)
                guard let end = digits.index(start, offsetBy: 2, limitedBy: digits.endIndex) else { return nil }
                return UInt8(digits[start..<end], radix: 16)
            }
            if digits.count % 2 != 0 || bytes.count * 2 != digits.count || !(5...32).contains(bytes.count) {
                report(
                    .invalidValue, line,
                    "\(Self.subject("engine_id", place)) is '\(text)'; it must be 5 to 32 bytes in hex, like \"0x80000000046e6f6465\""
                )
                engineID = nil
            } else {
                engineID = bytes
            }
        }
        var oids: [String] = []
        for (key, fallback) in [("trap_oid", SNMPTrap.defaultTrapOID), ("objects_oid", SNMPTrap.defaultObjectsOID)] {
            if let (text, line) = readString(
                key, in: table, place: place, required: false, expectation: "an OID like \"1.3.6.1.4.1.99999.1\"")
            {
                if BER.objectIdentifier(text) == nil || text.hasSuffix(".") {
                    report(
                        .invalidValue, line,
                        "\(Self.subject(key, place)) is '\(text)', not an object identifier like \"1.3.6.1.4.1.99999.1\""
                    )
                } else {
                    oids.append(text)
                }
            } else {
                oids.append(fallback)
            }
        }
        guard let target, let security, let engineID, oids.count == 2 else { return nil }
        return SNMPNotification(
            target: target, security: security, engineID: engineID, trapOID: oids[0], objectsOID: oids[1])
    }

    private mutating func subtable(_ key: String, of table: TOMLTable) -> TOMLTable? {
        guard let value = table[key] else { return nil }
        guard let sub = value.table else {
            report(
                .wrongType, value.line,
                "'\(key)' in [notify] must be a table, like [notify.\(key)], not \(value.typeDescription)")
            return nil
        }
        return sub
    }

    private mutating func readEmail(_ table: TOMLTable) -> EmailNotification? {
        let place = "[notify.email]"
        checkKeys(of: table, allowed: Self.emailKeys, place: place)
        var server: PeerAddress?
        if let (text, line) = readString(
            "server", in: table, place: place, required: true, expectation: "\"host:port\"")
        {
            do throws(PeerAddressError) {
                server = try PeerAddress.parse(text.contains(":") ? text : text + ":25")
            } catch {
                report(.invalidAddress, line, "\(Self.subject("server", place)): \(error)")
            }
        }
        let starttls = readBool("starttls", table, place: place, default: false)
        let caFile =
            table["ca_file"] == nil
            ? .some(nil) : readAbsolutePath("ca_file", in: table, place: place, required: true).map { Optional($0.0) }
        let username = readString("username", in: table, place: place, required: false)?.0
        let passwordFile =
            table["password_file"] == nil
            ? .some(nil)
            : readAbsolutePath("password_file", in: table, place: place, required: true).map { Optional($0.0) }
        // Only when both read cleanly: a bad value has its own message, and is not missing.
        let usernameRead = table["username"] == nil || username != nil
        if usernameRead, let passwordFile, (username == nil) != (passwordFile == nil) {
            report(
                .missingKey, table.line, "\(place) needs both 'username' and 'password_file' for a login, or neither")
            return nil
        }
        let from = readMailbox("from", table, place: place)
        var to: [String]? = []
        if table["to"] == nil {
            report(
                .missingKey, table.line,
                "missing required key 'to' in \(place); list the addresses to tell, like to = [\"admin@example.com\"]")
            to = nil
        } else if let entries = readStringArray("to", in: table, place: place) {
            for (address, line) in entries {
                if Self.isMailbox(address) {
                    to?.append(address)
                } else {
                    report(
                        .invalidValue, line,
                        "'\(address)' in 'to' of \(place) is not an email address like admin@example.com")
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
        return EmailNotification(
            server: server, security: starttls ? .starttls : .none, caFile: caFile, username: username,
            passwordFile: passwordFile, from: from, to: to)
    }

    private mutating func readMailbox(_ key: String, _ table: TOMLTable, place: String) -> String? {
        guard
            let (text, line) = readString(key, in: table, place: place, required: true, expectation: "an email address")
        else { return nil }
        guard Self.isMailbox(text) else {
            report(
                .invalidValue, line,
                "\(Self.subject(key, place)) is '\(text)', not an email address like understudy@example.com")
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
                report(
                    .invalidValue, line,
                    "\(Self.subject("url", place)) is '\(text)'; it must start with http:// or https://")
            }
        }
        let timeout = readDuration(
            "timeout", table, place: place, default: ConfigDuration(seconds: 10),
            range: ConfigDuration(seconds: 0.1)...ConfigDuration(seconds: 600))
        guard let url, let timeout else { return nil }
        return WebhookNotification(url: url, timeout: timeout)
    }
}
