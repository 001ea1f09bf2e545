/// The proof keys of `[groups.NAME]`: `verify_every`, `proof_timeout`, `proof_private`.
extension ConfigurationValidator {
    static let proofKeys = ["verify_every", "proof_timeout", "proof_private", "syntax_check"]

    mutating func readProof(_ table: TOMLTable, place: String) -> ProofConfiguration? {
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
        guard valid, let timeout else { return nil }
        return ProofConfiguration(
            every: every, timeout: timeout, privateDirectories: directories, syntaxCheck: syntaxCheck)
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
