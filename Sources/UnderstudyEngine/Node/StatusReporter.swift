import UnderstudyCore

/// Writes each share's live-mirror figures into the log once a minute while anything happens, so the log alone
/// tells how far behind the replica was and when.
struct StatusReporter: Sendable {
    let node: NodeRuntime
    var interval: Double = 60

    func run() async {
        var last: [String: (Int64, Int64)] = [:]
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(interval))
            if Task.isCancelled { return }
            for group in node.status.snapshot(now: node.now()) {
                for share in group.shares {
                    let key = "\(group.name)/\(share.name)"
                    let syncs = (share.liveSyncs, share.fullSyncs)
                    defer { last[key] = syncs }
                    guard share.changesPending > 0 || last[key].map({ $0 != syncs }) ?? (syncs != (0, 0)) else { continue }
                    let moved = group.role == "primary" ? "sent" : "received"
                    var line = "live mirror \(key) (\(group.role)): \(share.changesPending) changes pending, lag \(Self.milliseconds(share.lagSeconds)), \(ByteCount.format(Int64(share.throughputBytesPerSecond)))/s \(moved) over the last minute, \(share.liveSyncs) live syncs and \(share.fullSyncs) full comparisons since start"
                    if let problem = share.captureProblem { line += "; capture incomplete: \(problem)" }
                    node.logger.info("\(line)")
                }
            }
        }
    }

    static func milliseconds(_ seconds: Double) -> String {
        seconds < 10 ? "\(Int((seconds * 1000).rounded())) ms" : "\(Int(seconds.rounded())) s"
    }
}
