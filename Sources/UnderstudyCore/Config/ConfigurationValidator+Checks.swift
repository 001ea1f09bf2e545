/// Check tables: `[[groups.NAME.checks]]` and `[nodes.NAME.isolation_check]`.
extension ConfigurationValidator {
    static let checkKeys = [
        "name", "type", "target", "url", "expect_status", "expect_body", "insecure", "path", "command", "mail_to",
        "interval", "timeout", "rise", "fall",
    ]
    static let checkTypes = ["tcp", "http", "https", "file", "command", "smtp"]

    mutating func readChecks(_ table: TOMLTable, group: String, place: String) -> [CheckConfiguration]? {
        guard let value = table["checks"] else { return [] }
        let header = "[[\(TOMLParser.display(["groups", group, "checks"]))]]"
        guard let elements = value.array else {
            report(
                .wrongType, value.line,
                "\(Self.subject("checks", place)) must be an array of tables; write each check as \(header)")
            return nil
        }
        var checks: [CheckConfiguration] = []
        var valid = true
        var firstLineByName: [String: Int] = [:]
        for (position, element) in elements.enumerated() {
            guard let checkTable = element.table else {
                report(
                    .wrongType, element.line,
                    "each element of \(Self.subject("checks", place)) must be a table, not \(element.typeDescription)")
                valid = false
                continue
            }
            let typeName = checkTable["type"]?.string ?? "check"
            guard let check = readCheck(checkTable, place: header, defaultName: "\(typeName)-\(position + 1)") else {
                valid = false
                continue
            }
            if let first = firstLineByName[check.name] {
                report(
                    .conflict, checkTable["name"]?.line ?? checkTable.line,
                    "check name '\(check.name)' is used twice in group '\(group)' (first on line \(first)); give each check its own 'name'"
                )
                valid = false
                continue
            }
            firstLineByName[check.name] = checkTable.line
            checks.append(check)
        }
        return valid ? checks : nil
    }

    mutating func readCheck(_ table: TOMLTable, place: String, defaultName: String) -> CheckConfiguration? {
        checkKeys(of: table, allowed: Self.checkKeys, place: place)
        var name: String? = defaultName
        if let (text, line) = readString("name", in: table, place: place, required: false) {
            if Self.isValidName(text, allowDot: true) {
                name = text
            } else {
                report(.invalidName, line, "check name '\(text)' is invalid: \(Self.nameRule)")
                name = nil
            }
        } else if table["name"] != nil {
            name = nil
        }
        guard let typeName = readChoice("type", table, place: place, choices: Self.checkTypes, default: "") else {
            return nil
        }
        if typeName.isEmpty {
            report(
                .missingKey, table.line,
                "missing required key 'type' in \(place); use one of "
                    + Self.checkTypes.map { "'\($0)'" }.joined(separator: ", "))
            return nil
        }
        let probe = readProbe(typeName, table, place: place)
        let interval = readDuration(
            "interval", table, place: place, default: CheckConfiguration.defaultInterval,
            range: ConfigDuration(seconds: 0.01)...ConfigDuration(seconds: 86400))
        let timeout = readDuration(
            "timeout", table, place: place, default: CheckConfiguration.defaultTimeout,
            range: ConfigDuration(seconds: 0.01)...ConfigDuration(seconds: 3600))
        let rise = readInteger("rise", table, place: place, default: CheckConfiguration.defaultRise, range: 1...100)
        let fall = readInteger("fall", table, place: place, default: CheckConfiguration.defaultFall, range: 1...100)
        guard let name, let probe, let interval, let timeout, let rise, let fall else { return nil }
        return CheckConfiguration(
            name: name, probe: probe, interval: interval, timeout: timeout, rise: rise, fall: fall)
    }

    /// One plain address, `local@domain`: no spaces, angle brackets or control characters (it goes on a command
    /// line of SMTP as it is).
    static func isMailAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && text.utf8.count <= 254
            && text.unicodeScalars.allSatisfy {
                $0.value > 0x20 && $0.value < 0x7F && !"<>,;:\\\"()[]".unicodeScalars.contains($0)
            }
    }

    /// The keys each type needs; keys of other types are reported, since a check that silently ignores its
    /// `url` would check something else than the administrator thinks.
    private mutating func readProbe(_ typeName: String, _ table: TOMLTable, place: String) -> CheckConfiguration.Probe?
    {
        let usedBy: [String: [String]] = [
            "target": ["tcp", "smtp"], "mail_to": ["smtp"], "url": ["http", "https"],
            "expect_status": ["http", "https"],
            "insecure": ["http", "https"],
            "expect_body": ["http", "https", "file"], "path": ["file"], "command": ["command"],
        ]
        var valid = true
        for (key, types) in usedBy.sorted(by: { $0.key < $1.key }) where table[key] != nil && !types.contains(typeName)
        {
            report(
                .unknownKey, table[key]!.line,
                "'\(key)' does not apply to a '\(typeName)' check in \(place); it is for "
                    + types.map { "'\($0)'" }.joined(separator: ", ") + " checks")
            valid = false
        }
        let expectBody = readString("expect_body", in: table, place: place, required: false)?.0
        switch typeName {
        case "tcp", "smtp":
            guard
                let (text, line) = readString(
                    "target", in: table, place: place, required: true, expectation: "\"host:port\"")
            else { return nil }
            let address: PeerAddress
            do throws(PeerAddressError) {
                address = try PeerAddress.parse(text)
            } catch {
                report(.invalidAddress, line, "\(Self.subject("target", place)): \(error)")
                return nil
            }
            guard typeName == "smtp" else { return valid ? .tcp(address) : nil }
            var mailTo: String?
            if let (recipient, line) = readString(
                "mail_to", in: table, place: place, required: false,
                expectation: "an address like \"postmaster@localhost\"")
            {
                guard Self.isMailAddress(recipient) else {
                    report(
                        .invalidValue, line,
                        "\(Self.subject("mail_to", place)) is '\(recipient)'; write one address like \"postmaster@localhost\""
                    )
                    return nil
                }
                mailTo = recipient
            } else if table["mail_to"] != nil {
                return nil
            }
            return valid ? .smtp(address, mailTo: mailTo) : nil
        case "http", "https":
            guard
                let (url, line) = readString(
                    "url", in: table, place: place, required: true, expectation: "a URL like \"http://10.0.0.100/\"")
            else { return nil }
            let lowered = url.lowercased()
            guard lowered.hasPrefix("\(typeName)://"), url.count > typeName.count + 3 else {
                report(
                    .invalidValue, line,
                    "\(Self.subject("url", place)) is '\(url)'; a '\(typeName)' check needs a URL starting with \(typeName)://"
                )
                return nil
            }
            let status = readInteger("expect_status", table, place: place, default: 0, range: 0...599)
            let insecure = readBool("insecure", table, place: place, default: false)
            guard valid, let status, let insecure else { return nil }
            if status != 0 && status < 100 {
                report(
                    .invalidValue, table["expect_status"]!.line,
                    "\(Self.subject("expect_status", place)) is \(status), not an HTTP status (100 to 599)")
                return nil
            }
            return .http(url: url, expectStatus: status == 0 ? nil : status, expectBody: expectBody, insecure: insecure)
        case "file":
            guard let (path, _) = readAbsolutePath("path", in: table, place: place, required: true), valid else {
                return nil
            }
            return .file(path: path, expectBody: expectBody)
        default:
            guard let command = readCommand("command", table, place: place, required: true), valid else { return nil }
            return .command(command)
        }
    }
}
