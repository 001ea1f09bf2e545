/// Reads a parsed TOML document into a `ClusterConfiguration`, collecting every problem with its
/// line rather than stopping at the first. Nodes, groups and the rules across them live in the
/// `ConfigurationValidator+…` files.
struct ConfigurationValidator {
    static let topLevelKeys = ["cluster", "certificates", "heartbeat", "notify", "console", "nodes", "groups"]
    static let maximumNameLength = 64

    let path: String
    private(set) var problems: [ConfigurationProblem] = []

    init(path: String) {
        self.path = path
    }

    /// The configuration when the document holds enough to build one; check `problems` as well.
    mutating func validate(_ document: TOMLDocument) -> ClusterConfiguration? {
        let root = document.root
        checkKeys(of: root, allowed: Self.topLevelKeys, place: "")

        var cluster: String?
        if let (name, line) = readString("cluster", in: root, place: "", required: true) {
            if Self.isValidName(name, allowDot: false) {
                cluster = name
            } else {
                report(
                    .invalidName, line,
                    "cluster name '\(name)' is invalid: use letters, digits, '-' and '_' (starting with a letter or digit, at most \(Self.maximumNameLength) characters)"
                )
            }
        }

        let configurationDirectory = ConfigPath.directory(of: path)
        var certificates: String? = ConfigPath.resolve("certs", against: configurationDirectory)
        if let (value, line) = readString("certificates", in: root, place: "", required: false) {
            if value.isEmpty {
                report(
                    .invalidPath, line,
                    "'certificates' must not be empty; leave it out to use 'certs' beside the configuration file")
                certificates = nil
            } else {
                certificates = ConfigPath.resolve(value, against: configurationDirectory)
            }
        }

        let heartbeat = readHeartbeat(root)
        let notify = readNotify(root)
        let console = readConsole(root)
        let nodes = readNodes(root)
        let groups = readGroups(root, nodes: nodes)
        checkConflicts(nodes: nodes, groups: groups)
        checkConsoleAddresses(nodes, console: console)
        checkGroupLinks(nodes: nodes, groups: groups)
        checkWitnessLinks(nodes: nodes, groups: groups, root: root)

        guard problems.isEmpty, let cluster, let certificates, let heartbeat, let notify, let console else {
            return nil
        }
        var nodeConfigurations: [String: NodeConfiguration] = [:]
        for node in nodes {
            guard let built = node.built else { return nil }
            nodeConfigurations[node.name] = built
        }
        var groupConfigurations: [String: GroupConfiguration] = [:]
        for group in groups {
            guard let built = group.built else { return nil }
            groupConfigurations[group.name] = built
        }
        return ClusterConfiguration(
            cluster: cluster,
            certificatesDirectory: certificates,
            nodes: nodeConfigurations,
            groups: groupConfigurations,
            heartbeat: heartbeat,
            notify: notify,
            console: console,
            sourcePath: path
        )
    }

    // MARK: - Reporting

    mutating func report(_ code: ConfigurationProblem.Code, _ line: Int, _ message: String) {
        problems.append(ConfigurationProblem(file: path, line: line, code: code, message: message))
    }

    /// "'address' in [nodes.alpha]", or "'cluster'" at the top level.
    static func subject(_ key: String, _ place: String) -> String {
        place.isEmpty ? "'\(key)'" : "'\(key)' in \(place)"
    }

    static func location(_ place: String) -> String {
        place.isEmpty ? "at the top level" : "in \(place)"
    }

    /// The header of a table as the user wrote it: `[nodes.alpha]`, `[nodes."odd name"]`.
    static func header(_ parts: String...) -> String {
        "[\(TOMLParser.display(parts))]"
    }

    // MARK: - Reading keys

    /// Reports every key of `table` that is not in `allowed`, suggesting the closest allowed key.
    mutating func checkKeys(of table: TOMLTable, allowed: [String], place: String) {
        for entry in table.entries where !allowed.contains(entry.key) {
            var message = "unknown key '\(entry.key)' \(Self.location(place))"
            if let suggestion = Self.suggestion(for: entry.key, among: allowed) {
                message += "; did you mean '\(suggestion)'?"
            } else {
                message += "; known keys are " + allowed.map { "'\($0)'" }.joined(separator: ", ")
            }
            report(.unknownKey, entry.value.line, message)
        }
    }

    mutating func readString(
        _ key: String, in table: TOMLTable, place: String, required: Bool, expectation: String = "a string"
    ) -> (String, Int)? {
        guard let value = table[key] else {
            if required {
                report(.missingKey, table.line, "missing required key '\(key)' \(Self.location(place))")
            }
            return nil
        }
        guard let string = value.string else {
            report(
                .wrongType, value.line,
                "\(Self.subject(key, place)) must be \(expectation), not \(value.typeDescription)")
            return nil
        }
        return (string, value.line)
    }

    /// An array of strings, each with its own line (arrays may span lines).
    mutating func readStringArray(_ key: String, in table: TOMLTable, place: String) -> [(String, Int)]? {
        guard let value = table[key] else { return [] }
        guard let elements = value.array else {
            report(
                .wrongType, value.line,
                "\(Self.subject(key, place)) must be an array of strings, like [\"*.tmp\"], not \(value.typeDescription)"
            )
            return nil
        }
        var strings: [(String, Int)] = []
        var valid = true
        for element in elements {
            if let string = element.string {
                strings.append((string, element.line))
            } else {
                report(
                    .wrongType, element.line,
                    "each element of \(Self.subject(key, place)) must be a string, not \(element.typeDescription)")
                valid = false
            }
        }
        return valid ? strings : nil
    }

    /// An absolute path without ".." components, normalized; reports and returns nil otherwise.
    mutating func readAbsolutePath(_ key: String, in table: TOMLTable, place: String, required: Bool) -> (String, Int)?
    {
        guard let (value, line) = readString(key, in: table, place: place, required: required) else { return nil }
        if value.isEmpty {
            report(.invalidPath, line, "\(Self.subject(key, place)) must not be empty")
            return nil
        }
        if !value.hasPrefix("/") {
            report(
                .invalidPath, line,
                "\(Self.subject(key, place)) must be an absolute path (starting with '/'), not '\(value)'")
            return nil
        }
        if ConfigPath.hasParentComponent(value) {
            report(.invalidPath, line, "\(Self.subject(key, place)) must not contain '..' components: '\(value)'")
            return nil
        }
        return (ConfigPath.normalize(value), line)
    }

    // MARK: - Names

    /// Letters, digits, '-', '_' (and '.' when allowed), starting with a letter or digit so that a
    /// name is never ".", ".." or an option, since names become file and directory names.
    static func isValidName(_ name: String, allowDot: Bool) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= maximumNameLength, isAlphanumeric(first) else {
            return false
        }
        return name.utf8.allSatisfy { byte in
            isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                || (allowDot && byte == UInt8(ascii: "."))
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    static let nameRule =
        "use letters, digits, '-', '_' and '.', starting with a letter or digit, at most \(maximumNameLength) characters"
}
