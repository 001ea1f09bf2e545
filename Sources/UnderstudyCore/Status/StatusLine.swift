/// The node's state in one line, for the service manager (`systemctl status` shows it as "Status:") and for logs:
/// each group with this node's role, its shares' worst state, and the lag when there is one, e.g.
/// `web primary in-sync; files standby behind, lag 1.4 s`.
public enum StatusLine {
    /// At most this many characters; the groups that do not fit are counted at the end.
    public static let limit = 200

    public static func of(_ groups: [GroupStatus]) -> String {
        if groups.isEmpty { return "no groups on this node" }
        var line = ""
        for (index, group) in groups.enumerated() {
            let part = describe(group)
            let rest = groups.count - index - 1
            let tail = rest > 0 ? "; … and \(rest) more" : ""
            let candidate = line.isEmpty ? part : line + "; " + part
            if candidate.count + tail.count > limit, !line.isEmpty {
                return line + "; … and \(groups.count - index) more"
            }
            line = candidate
        }
        return line
    }

    /// One group: name, role, the worst of its shares' states, and the largest lag when above a tenth of a second.
    static func describe(_ group: GroupStatus) -> String {
        let state = group.shares.map(\.state).max { rank($0) < rank($1) }
        var text = "\(group.name) \(group.role)"
        if let state { text += " \(state.rawValue)" }
        let lag = group.shares.map(\.lagSeconds).max() ?? 0
        if lag >= 0.1 {
            text += ", lag " + (lag < 10 ? String(Double(Int(lag * 10)) / 10) : String(Int(lag))) + " s"
        }
        return text
    }

    /// How bad a share's state is: the line shows the worst.
    static func rank(_ state: ShareState) -> Int {
        switch state {
        case .inSync: 0
        case .behind: 1
        case .initialSync: 2
        case .disconnected: 3
        case .error: 4
        }
    }
}
