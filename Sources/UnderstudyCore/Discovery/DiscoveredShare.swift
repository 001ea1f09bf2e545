/// A share a primary offers, as `understudy discover` finds it: an SMB share (by `smbclient -L`) or an NFS export
/// (by `showmount -e`).
public struct DiscoveredShare: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case smb
        case nfs
    }

    public var kind: Kind
    /// The SMB share's name, or the NFS export's path.
    public var name: String
    /// The SMB share's comment, or the clients an NFS export allows.
    public var detail: String

    public init(kind: Kind, name: String, detail: String) {
        self.kind = kind
        self.name = name
        self.detail = detail
    }

    /// The disk shares of `smbclient -L HOST -g` (lines `Disk|NAME|COMMENT`); administrative shares (`C$`,
    /// `IPC$`, names ending in `$`), printers and other lines are left out.
    public static func smb(fromListing text: String) -> [DiscoveredShare] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 2, fields[0] == "Disk", !fields[1].isEmpty, !fields[1].hasSuffix("$") else {
                return nil
            }
            return DiscoveredShare(kind: .smb, name: fields[1], detail: fields.count > 2 ? fields[2] : "")
        }
    }

    /// The exports of `showmount -e --no-headers HOST` (lines `/PATH CLIENTS`).
    public static func nfs(fromExports text: String) -> [DiscoveredShare] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let trimmed = line.trimmingSpaces()
            guard trimmed.hasPrefix("/") else { return nil }
            let parts = trimmed.split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            return DiscoveredShare(kind: .nfs, name: parts[0], detail: parts.count > 1 ? parts[1].trimmingSpaces() : "")
        }
    }
}

extension StringProtocol {
    fileprivate func trimmingSpaces() -> String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text = text.dropLast() }
        return String(text)
    }
}
