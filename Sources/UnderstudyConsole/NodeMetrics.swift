import protocol CoreMetrics.MetricsFactory
import Prometheus
import Synchronization
import UnderstudyCore

/// `/metrics`: the node's figures in Prometheus's text format, named after Prometheus's conventions (base units,
/// `_total` for counters) with bounded labels (group, share, peer, link, check). Gauges and counters are set from the
/// status report at each scrape, so a scrape never shows a figure older than itself; the counters are the node's own
/// running totals (bytes moved are kept across restarts). What the engine reports as it happens (durations) reaches
/// the same registry through swift-metrics when the process bootstraps it with `factory`.
public final class NodeMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// Serializes scrapes: each sets every figure, then renders them all.
    private let scrape = Mutex(())

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// For `MetricsSystem.bootstrap`: the engine's swift-metrics land in this registry.
    public var factory: any MetricsFactory {
        let buckets: [Duration] = [
            .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
            .seconds(900), .seconds(3600),
        ]
        var plain = PrometheusMetricsFactory(registry: registry)
        plain.defaultDurationHistogramBuckets = buckets
        return NodeMetricsFactory(registry: registry, plain: plain, buckets: buckets)
    }

    /// The text to answer a scrape with.
    public func render(_ report: NodeStatusReport) -> [UInt8] {
        scrape.withLock { _ in
            set(report)
            return registry.emitToBuffer()
        }
    }

    private func set(_ report: NodeStatusReport) {
        gauge(
            "build_info", "Always 1; the labels name the build, the node and the cluster.",
            [
                ("version", report.version), ("node", report.node), ("cluster", report.cluster),
            ]
        ).set(to: 1)
        gauge("start_time_seconds", "When the daemon started, in seconds since the Unix epoch.").set(
            to:
                report.startedAt.timeIntervalSince1970)
        for group in report.groups { set(group) }
        if let failover = report.failover { set(failover) }
        if let durability = report.durability { set(durability) }
    }

    private func set(_ durability: DurabilityFigures) {
        for (kind, requests, rounds) in [
            ("syncfs", durability.syncfsRequests, durability.syncfsCalls),
            ("resume_point", durability.resumePointSaves, durability.resumePointCommits),
        ] {
            counter(
                "durability_requests_total",
                "Durable writes asked for since the daemon started: syncfs by the replicas' writers, resume points saved.",
                [("kind", kind)]
            ).set(to: Int64(requests))
            counter(
                "durability_rounds_total",
                "syncfs calls and database commits made for them: fewer than asked when shares ask at the same time.",
                [("kind", kind)]
            ).set(to: Int64(rounds))
        }
    }

    private func set(_ group: GroupStatus) {
        let labels = [("group", group.name)]
        for role in GroupRole.allCases {
            gauge(
                "group_role", "1 for this node's role in the group (primary: it serves it), else 0.",
                labels + [("role", role.rawValue)]
            ).set(to: group.role == role ? 1 : 0)
        }
        gauge("group_peer_connected", "1 while the mirror connection with the group's peer is up.", labels).set(
            to:
                group.peerConnected ? 1 : 0)
        gauge("group_maintenance", "1 while the group is in maintenance: automatic failover is held.", labels)
            .set(to: group.maintenance == nil ? 0 : 1)
        gauge("conflicts_open", "Files kept in two versions by a failback and not yet resolved.", labels).set(
            to:
                Double(group.openConflicts ?? 0))
        if let readiness = group.readiness { set(readiness, group: group.name) }
        for share in group.shares { set(share, group: group.name) }
    }

    /// A standby's proofs of the group: the verdict, and the last proof's time and figures.
    private func set(_ readiness: Readiness, group: String) {
        let labels = [("group", group)]
        gauge(
            "proof_ready",
            "1 while the standby's last proof of the group passed and is recent; 0 when it failed or is missing or stale.",
            labels
        ).set(to: readiness.state == .ready ? 1 : 0)
        guard let last = readiness.lastProof else { return }
        gauge("proof_passed", "1 when the last proof of the group passed, 0 when it failed.", labels).set(
            to: last.passed ? 1 : 0)
        gauge("proof_last_timestamp_seconds", "When the last proof of the group started (Unix time).", labels).set(
            to: last.startedAt.timeIntervalSince1970)
        if let rpo = last.rpoSeconds {
            gauge("proof_rpo_seconds", "The replica's age at the last proof's snapshot (the proven RPO).", labels)
                .set(to: rpo)
        }
        if let rto = last.rtoSeconds {
            gauge(
                "proof_rto_seconds",
                "From the last proof's first start step until every check passed (the measured RTO).",
                labels
            ).set(to: rto)
        }
    }

    private func set(_ share: ShareStatus, group: String) {
        let labels = [("group", group), ("share", share.name)]
        gauge(
            "replication_lag_seconds",
            "How far the replica is behind its source: the age of the oldest change not yet durable on it.", labels
        ).set(to: share.lagSeconds)
        gauge("replication_changes_behind", "Changes captured and not yet durable on the replica.", labels).set(
            to:
                Double(share.changesPending))
        gauge("replication_bytes_behind", "Bytes of the running sync not yet transferred.", labels).set(
            to:
                Double(share.bytesPending))
        gauge("replication_files_behind", "Files of the running sync not yet transferred.", labels).set(
            to:
                Double(share.filesPending))
        gauge(
            "replication_throughput_bytes_per_second", "Bytes moved per second over the last minute.", labels
        ).set(to: share.throughputBytesPerSecond)
        if share.captureBackend != nil || share.captureProblem != nil {
            // On the node that serves the share: its change capture, and whether it sees every change.
            gauge(
                "change_capture_complete",
                "1 while every change in the share is captured (backend: fanotify, inotify, or none when capture could not start), 0 while part of it is left to periodic comparisons.",
                labels + [("backend", share.captureBackend ?? "none")]
            ).set(to: share.captureProblem == nil ? 1 : 0)
        }
        gauge("replication_in_sync", "1 when the last sync completed and found the replica current.", labels).set(
            to:
                share.state == .inSync ? 1 : 0)
        counter("replication_sent_bytes_total", "Bytes sent to the replica (on the source's node).", labels).set(
            to:
                share.bytesSent)
        counter(
            "replication_received_bytes_total", "Bytes received from the source (on the replica's node).", labels
        ).set(to: share.bytesReceived)
        for (kind, count) in [("full", share.fullSyncs), ("live", share.liveSyncs)] {
            counter(
                "replication_syncs_total",
                "Syncs since the daemon started: full comparisons and live syncs of the captured changes.",
                labels + [("kind", kind)]
            ).set(to: count)
        }
        if let archive = share.archive {
            gauge("archives", "Archives (point-in-time copies) kept of the replica.", labels).set(
                to:
                    Double(archive.archives))
            gauge("history_versions", "Earlier versions of files kept by the replica's history.", labels).set(
                to:
                    Double(archive.historyVersions))
            gauge("history_bytes", "Bytes of the earlier versions kept by the replica's history.", labels).set(
                to:
                    Double(archive.historyBytes))
        }
    }

    private func set(_ failover: FailoverStatus) {
        for link in failover.links {
            let labels = [("peer", link.peer), ("link", link.link)]
            gauge("link_up", "1 while heartbeats arrive from the peer on this link.", labels).set(
                to:
                    link.state == "up" ? 1 : 0)
            if let age = link.lastHeardAgo {
                gauge(
                    "link_last_heartbeat_age_seconds", "Seconds since the last heartbeat from the peer on this link.",
                    labels
                ).set(to: age)
            }
            counter("link_heartbeats_sent_total", "Heartbeats sent to the peer on this link.", labels).set(
                to:
                    Int64(link.sent))
            counter("link_heartbeats_received_total", "Heartbeats received from the peer on this link.", labels).set(
                to:
                    Int64(link.received))
            counter(
                "link_packets_refused_total", "Packets refused on this link (not authenticated, replayed, malformed).",
                labels
            ).set(to: Int64(link.refused))
        }
        for check in failover.checks {
            gauge(
                "check_up", "1 while the check passes, 0 while it fails or has no result yet.",
                [("group", check.group ?? ""), ("check", check.name)]
            ).set(to: check.state == "passing" ? 1 : 0)
        }
        for group in failover.groups {
            let labels = [("group", group.group)]
            gauge("group_epoch", "The group's epoch as this node knows it; it grows at every takeover.", labels).set(
                to:
                    Double(group.epoch))
            gauge("group_serving", "1 while this node serves the group (holds its address).", labels).set(
                to:
                    group.phase == .active ? 1 : 0)
        }
    }

    // MARK: - Registry

    private func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = []) -> Gauge {
        registry.makeGauge(descriptor: Self.descriptor(name, help), labels: labels)
    }

    private func counter(_ name: String, _ help: String, _ labels: [(String, String)]) -> Counter {
        registry.makeCounter(descriptor: Self.descriptor(name, help), labels: labels)
    }

    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "understudy", metricName: name, unitName: "", helpText: help)
    }
}

extension Counter {
    /// A running total the node keeps: the counter shows it as it is.
    fileprivate func set(to total: Int64) {
        reset()
        increment(by: max(0, total))
    }
}
