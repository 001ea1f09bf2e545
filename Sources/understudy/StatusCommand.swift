import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore
import UnderstudyNode

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each group and share on this node: role, peer, state, pending work, transfer figures."
    )

    @OptionGroup var options: ConfigOptions
    @Option(name: .long, help: "The node to ask (default: the only node, or the one named like this host).")
    var node: String?
    @Option(name: .long, help: "Seconds to wait for a daemon that is still starting.") var wait: Double = 0
    @Flag(name: .long, help: "Print the status as JSON.") var json = false

    func run() throws {
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(ControlRequest.status, waitingUpTo: wait)
        guard response.ok, let report = response.status else {
            throw CommandError(response.error ?? "the daemon gave no status")
        }
        if json {
            let encoder = JSONEncoder.control
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(StatusTable.render(report, now: Date()))
        }
    }
}

enum StatusTable {
    static func render(_ report: NodeStatusReport, now: Date) -> String {
        var lines = [
            "node \(report.node) of cluster \(report.cluster), understudy \(report.version), up \(duration(now.timeIntervalSince(report.startedAt)))"
        ]
        var rows = [
            [
                "GROUP", "ROLE", "PEER", "SHARE", "STATE", "CHANGES", "LAG", "PENDING", "THROUGHPUT", "SENT",
                "RECEIVED", "LAST SYNC", "LAST ERROR",
            ]
        ]
        var progress: [String] = []
        for group in report.groups {
            for share in group.shares {
                rows.append([
                    group.name, group.role.rawValue,
                    "\(group.peer) (\(group.peerConnected ? "connected" : "not connected"))",
                    share.name,
                    share.state.rawValue,
                    "\(share.changesPending)",
                    lag(share.lagSeconds),
                    "\(share.filesPending) files, \(ByteCount.format(share.bytesPending))",
                    "\(ByteCount.format(Int64(share.throughputBytesPerSecond)))/s",
                    ByteCount.format(share.bytesSent), ByteCount.format(share.bytesReceived),
                    share.lastSyncAt.map { "\(timestamp($0)) (\(String(format: "%.2f", share.lastSyncSeconds ?? 0))s)" }
                        ?? "never",
                    share.lastError ?? share.captureProblem ?? "-",
                ])
                if share.filesTotal > 0 || share.bytesTotal > 0 {
                    var line =
                        "  \(group.name)/\(share.name): \(share.filesDone)/\(share.filesTotal) files, \(ByteCount.format(share.bytesDone))/\(ByteCount.format(share.bytesTotal))"
                    if let rate = share.rateBytesPerSecond { line += ", \(ByteCount.format(Int64(rate)))/s" }
                    if let eta = share.etaSeconds { line += ", ETA \(duration(eta))" }
                    progress.append(line)
                }
            }
        }
        if report.groups.isEmpty { lines.append("this node is in no group") }
        for group in report.groups {
            if let hold = group.maintenance {
                lines.append(
                    "MAINTENANCE: group \(group.name) since \(timestamp(hold.since)), by \(hold.by): automatic failover is held (understudy maintenance \(group.name) off)"
                )
            }
        }
        for group in report.groups {
            if let open = group.openConflicts {
                progress.append(
                    "  \(group.name): \(open) open conflict\(open == 1 ? "" : "s") (files kept in two versions after a rejoin): understudy conflicts \(group.name)"
                )
            }
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows where report.groups.count > 0 {
            lines.append(
                row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
        if !progress.isEmpty {
            lines.append("in progress:")
            lines += progress
        }
        let captured = report.groups.flatMap { group in
            group.shares.compactMap { share in
                share.captureBackend.map { backend in
                    let watched =
                        share.watchedDirectories.map { " (\($0) directories watched)" }
                        ?? (backend == "scan"
                            ? " (of the primary's mount, every scan_interval: the primary runs no understudy)"
                            : " (whole file system)")
                    return "  \(group.name)/\(share.name): \(backend)\(watched)"
                }
            }
        }
        if !captured.isEmpty {
            lines.append("change capture:")
            lines += captured
        }
        let verdicts = report.groups.compactMap { group in group.readiness.map { "  \(group.name): \($0.line)" } }
        if !verdicts.isEmpty {
            lines.append("readiness (proofs on this standby; understudy verify GROUP):")
            lines += verdicts
        }
        let hops = report.groups.compactMap { group in group.offsiteHop.map { (group.name, $0) } }
        if !hops.isEmpty {
            lines.append("")
            lines.append("off-site hops (this node feeds them):")
            var rows = [
                ["GROUP", "OFF-SITE", "SHARE", "STATE", "CHANGES", "BEHIND", "LAG", "THROUGHPUT", "SENT", "LAST SYNC"]
            ]
            for (name, hop) in hops {
                for share in hop.shares {
                    rows.append([
                        name, "\(hop.node) (\(hop.connected ? "connected" : "not connected"))", share.name,
                        share.state.rawValue, "\(share.changesPending)", ByteCount.format(share.bytesBehind ?? 0),
                        lag(share.lagSeconds), "\(ByteCount.format(Int64(share.throughputBytesPerSecond)))/s",
                        ByteCount.format(share.bytesSent), share.lastSyncAt.map { timestamp($0) } ?? "never",
                    ])
                }
            }
            lines += columns(rows).map { "  " + $0 }
        }
        let archived = report.groups.flatMap { group in
            group.shares.compactMap { share in share.archive.map { ("\(group.name)/\(share.name)", $0) } }
        }
        if !archived.isEmpty {
            lines.append("")
            lines.append("archives and history:")
            var rows = [["SHARE", "ARCHIVES", "LAST", "NEXT", "HISTORY", "LAST ERROR"]]
            for (name, archive) in archived {
                let next = archive.nextRuns.sorted { $0.key < $1.key }.map { "\($0.key) \(timestamp($0.value))" }
                    .joined(separator: ", ")
                let history =
                    archive.historyWindowSeconds.map {
                        "\(duration($0)): \(archive.historyVersions) versions, \(ByteCount.format(archive.historyBytes))"
                    }
                    ?? (archive.historyVersions > 0 ? "off (\(archive.historyVersions) versions expiring)" : "off")
                rows.append([
                    name, "\(archive.archives)", archive.lastArchiveID.map { "\($0)" } ?? "none",
                    next.isEmpty ? "-" : next, history,
                    archive.lastError ?? "-",
                ])
            }
            lines += columns(rows).map { "  " + $0 }
        }
        if let failover = report.failover {
            lines += renderFailover(failover)
        }
        for warning in report.warnings ?? [] { lines += ["", "WARNING: \(warning)"] }
        return lines.joined(separator: "\n")
    }

    /// Groups (role, epoch, mode), links (state, last heartbeat) and checks (state, last result).
    static func renderFailover(_ failover: FailoverStatus) -> [String] {
        var lines = ["", "failover:"]
        var groups = [["GROUP", "PHASE", "EPOCH", "OWNER", "MODE", "PEER PHASE", "ADDRESS"]]
        for group in failover.groups {
            groups.append([
                group.group, "\(group.phase) for \(duration(group.phaseAgo))", "\(group.epoch)", group.owner,
                group.mode.rawValue,
                group.peerPhase ?? "?", group.serviceAddress ?? "-",
            ])
        }
        var links = [["PEER", "LINK", "STATE", "LAST HEARTBEAT", "SENT", "RECEIVED", "REFUSED", "PROBLEM"]]
        for link in failover.links {
            links.append([
                link.peer, link.link, link.state, link.lastHeardAgo.map { lag($0) + " ago" } ?? "never", "\(link.sent)",
                "\(link.received)", "\(link.refused)", link.problem ?? "-",
            ])
        }
        var checks = [["GROUP", "CHECK", "TYPE", "TARGET", "STATE", "LAST RESULT"]]
        for check in failover.checks {
            checks.append([
                check.group ?? "(isolation)", check.name, check.type, check.target, check.state,
                check.lastResultAgo.map { "\(check.lastMessage) (\(lag($0)) ago)" } ?? "none yet",
            ])
        }
        for table in [groups, links, checks] where table.count > 1 {
            lines += columns(table)
            lines.append("")
        }
        return Array(lines.dropLast())
    }

    static func columns(_ rows: [[String]]) -> [String] {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
    }

    /// Milliseconds while small (the live mirror's normal), seconds and more beyond.
    static func lag(_ seconds: Double) -> String {
        if seconds == 0 { return "0" }
        if seconds < 10 { return "\(Int((seconds * 1000).rounded()))ms" }
        return duration(seconds)
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m\(total % 60)s" }
        return "\(total / 3600)h\(total % 3600 / 60)m"
    }
}
