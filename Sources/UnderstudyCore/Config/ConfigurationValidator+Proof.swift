/// The proof keys of `[groups.NAME]`: `verify_every`, `proof_timeout`, `proof_private`, `syntax_check`, and the
/// tracked configuration's `config_files` and `config_substitutions`.
extension ConfigurationValidator {
    static let proofKeys = [
        "verify_every", "proof_timeout", "proof_private", "syntax_check", "config_files", "config_substitutions",
    ]

    mutating func readProof(_ table: TOMLTable, group: GroupDraft, place: String) -> ProofConfiguration? {
        var valid = true
        var every: ConfigDuration? = ProofConfiguration.defaultEvery
        if let value = table["verify_every"], value.string == "off" {
            every = nil
        } else {
            every = readDuration(
                "verify_every", table, place: place, default: ProofConfiguration.defaultEvery,
                range: ProofConfiguration.minimumEvery...GroupConfiguration.maximumInterval)
            if every == nil { valid = false }
        }
        let timeout = readDuration(
            "proof_timeout", table, place: place, default: ProofConfiguration.defaultTimeout,
            range: ConfigDuration(seconds: 1)...ConfigDuration(seconds: 3600))
        var directories: [String] = []
        let listed = readStringArray("proof_private", in: table, place: place)
        if listed == nil { valid = false }
        for (path, line) in listed ?? [] {
            guard let problem = Self.privateDirectoryProblem(path) else {
                // "/var/lib/samba/" and "/var/lib//samba" are "/var/lib/samba".
                directories.append("/" + path.split(separator: "/").joined(separator: "/"))
                continue
            }
            report(.invalidValue, line, "an element of \(Self.subject("proof_private", place)), '\(path)', \(problem)")
            valid = false
        }
        var syntaxCheck: String?
        if table["syntax_check"] != nil {
            syntaxCheck = readCommand("syntax_check", table, place: place, required: true)
            if syntaxCheck == nil { valid = false }
        }
        let configFiles = readConfigFiles(table, place: place)
        let substitutions = readSubstitutions(table, group: group, place: place)
        guard valid, let timeout, let configFiles, let substitutions else { return nil }
        return ProofConfiguration(
            every: every, timeout: timeout, privateDirectories: directories, syntaxCheck: syntaxCheck,
            configFiles: configFiles, substitutions: substitutions)
    }

    /// `config_files`: absolute paths of files (or directories of them), normalized; nil (reported) when one is not.
    mutating func readConfigFiles(_ table: TOMLTable, place: String) -> [String]? {
        guard let listed = readStringArray("config_files", in: table, place: place) else { return nil }
        var files: [String] = []
        var valid = true
        for (path, line) in listed {
            if let problem = Self.configFileProblem(path) {
                report(
                    .invalidPath, line, "an element of \(Self.subject("config_files", place)), '\(path)', \(problem)")
                valid = false
                continue
            }
            let normalized = "/" + path.split(separator: "/").joined(separator: "/")
            if !files.contains(normalized) { files.append(normalized) }
        }
        if files.count > ProofConfiguration.maximumConfigFiles, let line = listed.first?.1 {
            report(
                .invalidValue, line,
                "\(Self.subject("config_files", place)) lists \(files.count) paths; at most \(ProofConfiguration.maximumConfigFiles) are tracked (list a directory for the files in it)"
            )
            valid = false
        }
        return valid ? files : nil
    }

    /// Why `path` cannot be a tracked configuration file, or nil.
    static func configFileProblem(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return "is not an absolute path" }
        let components = path.split(separator: "/")
        if components.isEmpty { return "is the root directory" }
        if components.count < 2 { return "is directly in /, where no service keeps its configuration" }
        if components.contains(where: { $0 == ".." || $0 == "." }) { return "contains '.' or '..'" }
        if path.contains("\0") || path.contains("\n") { return "contains a NUL or newline" }
        if ["proc", "sys", "dev", "run"].contains(String(components[0])) {
            return "is under /\(components[0]), which holds no configuration to track"
        }
        return nil
    }

    /// `[groups.NAME.config_substitutions.NODE]`: "text" = "replacement" for each node that puts the primary's
    /// files in place (the group's standby and off-site node).
    mutating func readSubstitutions(
        _ table: TOMLTable, group: GroupDraft, place: String
    ) -> [String: [ConfigSubstitution]]? {
        guard let value = table["config_substitutions"] else { return [:] }
        let header = "[groups.\(group.name).config_substitutions]"
        guard let nodes = value.table else {
            report(
                .wrongType, value.line,
                "\(Self.subject("config_substitutions", place)) must be a table of node = { \"text\" = \"replacement\" }, like \(header.dropLast()).beta] with \"alpha.lan\" = \"beta.lan\", not \(value.typeDescription)"
            )
            return nil
        }
        let followers = [group.standby, group.offsite.flatMap { $0 }].compactMap { $0 }
        var result: [String: [ConfigSubstitution]] = [:]
        var valid = true
        for entry in nodes.entries {
            guard followers.contains(entry.key) else {
                let message =
                    entry.key == group.primary
                    ? "is the group's primary, which tracks the files and never puts them in place"
                    : "is not the group's standby or off-site node (\(followers.joined(separator: ", ")))"
                report(.unknownNode, entry.value.line, "node '\(entry.key)' in \(header) \(message)")
                valid = false
                continue
            }
            guard let pairs = entry.value.table else {
                report(
                    .wrongType, entry.value.line,
                    "'\(entry.key)' in \(header) must be a table of \"text\" = \"replacement\", not \(entry.value.typeDescription)"
                )
                valid = false
                continue
            }
            var list: [ConfigSubstitution] = []
            for pair in pairs.entries {
                guard let replacement = pair.value.string, !pair.key.isEmpty else {
                    report(
                        .wrongType, pair.value.line,
                        pair.key.isEmpty
                            ? "an empty text in \(header.dropLast()).\(entry.key)] would replace nothing; remove it"
                            : "'\(pair.key)' in \(header.dropLast()).\(entry.key)] must be a string, its replacement, not \(pair.value.typeDescription)"
                    )
                    valid = false
                    continue
                }
                list.append(ConfigSubstitution(text: pair.key, replacement: replacement))
            }
            result[entry.key] = list
        }
        return valid ? result : nil
    }

    /// Why `path` cannot be a proof's private directory, or nil.
    static func privateDirectoryProblem(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return "is not an absolute path" }
        let components = path.split(separator: "/")
        if components.isEmpty { return "is the root directory: a proof cannot make the whole system private" }
        if components.contains(where: { $0 == ".." || $0 == "." }) { return "contains '.' or '..'" }
        if path.contains(",") || path.contains(":") || path.contains("\\") {
            return "contains ',', ':' or '\\', which a layered mount cannot take"
        }
        if ["proc", "sys", "dev"].contains(String(components[0])) {
            return "is a kernel file system (/proc, /sys, /dev), which cannot be layered"
        }
        return nil
    }
}
