/// The configuration `understudy discover` prints for the shares chosen: the primary as a node, and a group from it to
/// the standby with one share each. Names are made valid (letters, digits, '-', '_'); an SMB share's directory on the
/// primary is not in its listing, so its `source` is left empty, which check-config refuses until it is filled in.
public enum ConfigurationSnippet {
    public static func of(
        host: String, shares: [DiscoveredShare], standby: String, port: Int = 7700
    ) -> String {
        let node = name(host)
        var used: Set<String> = []
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
        for share in shares {
            var shareName = name(share.kind == .nfs ? lastComponent(share.name) : share.name)
            var suffix = 2
            let base = shareName
            while used.contains(shareName) {
                shareName = "\(base)-\(suffix)"
                suffix += 1
            }
            used.insert(shareName)
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
