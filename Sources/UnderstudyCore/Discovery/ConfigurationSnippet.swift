/// The configuration `understudy discover` prints for the shares chosen: the primary as a node, and a group from it to
/// the standby with one share each. Names are made valid (letters, digits, '-', '_'); an SMB share's directory on the
/// primary is not in its listing, so its `source` is left empty, which check-config refuses until it is filled in.
/// With `agentless`, the primary runs no understudy: no node table, and each share's source is where the standby
/// mounts it (the mount command in a comment), its replica beside the other replicas.
public enum ConfigurationSnippet {
    public static func of(
        host: String, shares: [DiscoveredShare], standby: String, port: Int = 7700, agentless: Bool = false
    ) -> String {
        let node = name(host)
        if agentless { return agentlessSnippet(host: host, node: node, shares: shares, standby: standby) }
        var lines = [
            "# The shares \(host) offers, found by `understudy discover \(host)`. Add these tables to the configuration,",
            "# fill in each empty source (check-config refuses it until then), then run `understudy check-config`.",
            "[nodes.\(node)]",
            "address = \"\(host.contains(":") ? "[\(host)]" : host):\(port)\"",
            "",
            "[groups.\(node)]",
            "primary = \"\(node)\"",
            "standby = \"\(standby)\"",
        ]
        for (shareName, share) in uniqueNames(shares) {
            lines += ["", "[[groups.\(node).shares]]", "name = \"\(shareName)\""]
            switch share.kind {
            case .nfs:
                lines.append("source = \"\(escaped(share.name))\"   # exported by NFS to \(comment(share.detail))")
            case .smb:
                let described = share.detail.isEmpty ? "" : ", \"\(comment(share.detail))\""
                lines.append(
                    "source = \"\"   # FILL IN: the directory \(host) shares by SMB as \(comment(share.name))\(described) (`path` in its smb.conf)"
                )
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func agentlessSnippet(
        host: String, node: String, shares: [DiscoveredShare], standby: String
    ) -> String {
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        var lines = [
            "# The shares \(host) offers, found by `understudy discover \(host) --agentless`: \(host) runs no understudy;",
            "# \(standby) mounts each share where its source says (the command beside it; add it to /etc/fstab) and scans",
            "# it every scan_interval. Add these tables to the configuration, then run `understudy check-config`.",
            "[groups.\(node)]",
            "agentless = true",
            "primary = \"\(node)\"",
            "standby = \"\(standby)\"",
            "scan_interval = \"30s\"",
        ]
        for (shareName, share) in uniqueNames(shares) {
            let mountPoint = "/mnt/\(node)/\(shareName)"
            let mount =
                share.kind == .nfs
                ? "mount -t nfs \(comment(bare)):\(comment(share.name)) \(mountPoint) -o ro,actimeo=1"
                : "mount -t cifs //\(comment(bare))/\(comment(share.name)) \(mountPoint) -o ro,actimeo=1,credentials=FILE"
            lines += [
                "", "[[groups.\(node).shares]]", "name = \"\(shareName)\"",
                "source = \"\(mountPoint)\"   # \(mount)",
                "replica = \"/srv/understudy/\(node)/\(shareName)\"",
            ]
        }
        return lines.joined(separator: "\n")
    }

    /// Each share with a name unique in the group ("-2", "-3"... after a repeated one).
    private static func uniqueNames(_ shares: [DiscoveredShare]) -> [(String, DiscoveredShare)] {
        var used: Set<String> = []
        return shares.map { share in
            let base = name(share.kind == .nfs ? lastComponent(share.name) : share.name)
            var shareName = base
            var suffix = 2
            while used.contains(shareName) {
                shareName = "\(base)-\(suffix)"
                suffix += 1
            }
            used.insert(shareName)
            return (shareName, share)
        }
    }

    /// A valid configuration name from `text`, fit for a TOML table's header: other characters ('.' among them)
    /// become '-', it starts with a letter or digit, and it is at most 64 characters ("share" when nothing is left).
    public static func name(_ text: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        var mapped = String(text.map { allowed.contains($0) ? $0 : "-" })
        while let first = mapped.first, !first.isLetter && !first.isNumber { mapped.removeFirst() }
        mapped = String(mapped.prefix(64))
        return mapped.isEmpty ? "share" : mapped
    }

    static func lastComponent(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? "root"
    }

    /// `text` in a comment: on one line, without control characters.
    static func comment(_ text: String) -> String {
        String(text.filter { !($0.asciiValue.map { $0 < 0x20 || $0 == 0x7f } ?? false) && !$0.isNewline })
    }

    /// `text` inside a TOML basic string: backslashes and quotes escaped, control characters dropped.
    static func escaped(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            default: if !(character.asciiValue.map { $0 < 0x20 || $0 == 0x7f } ?? false) { result.append(character) }
            }
        }
        return result
    }
}
