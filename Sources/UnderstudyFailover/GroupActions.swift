import Foundation
import Logging
import UnderstudyCore
import UnderstudyState
import UnderstudySupport

/// The I/O of a group's takeover, acquisition and release: each step logged with its duration, and the lines
/// returned for the notification. Steps that cannot wait (the address) come before those that may take long
/// (scripts); announcements after the first go on in the background while the scripts run.
struct GroupActions: Sendable {
    let node: String
    let group: GroupConfiguration
    let database: StateDatabase
    let logger: Logger
    /// What each step's duration is measured on.
    let clock: any EngineClock
    /// Starts work beside the queue that must not outlive the failover service (the repeated announcements).
    let spawn: @Sendable (@escaping @Sendable () async -> Void) -> Void
    /// Stops the group's replica from following the old primary, and waits until it has stopped.
    let stopFollowing: @Sendable () async -> Void
    /// Records this node's tree of every share as the base of `epoch` (what a rejoining node compares against);
    /// returns a line per share.
    let recordBase: @Sendable (_ epoch: UInt64) async -> [String]
    /// Called once the new ownership is stored, before the replica stops following: from then on the follower
    /// refuses to apply anything.
    let ownershipStored: @Sendable (GroupOwnership) -> Void
    /// Where a held address is registered, so that it dies with the daemon (nil: it would outlive it).
    var holdings: AddressHoldings? = nil

    struct Report: Sendable {
        var lines: [String] = []
        var succeeded = true

        mutating func step(_ line: String, ok: Bool = true) {
            lines.append(line)
            if !ok { succeeded = false }
        }

        var text: String { lines.joined(separator: "\n") }
    }

    private var takeover: TakeoverConfiguration { group.takeover }
    private var interface: String? { takeover.interfaces[node] }

    func fence() async -> (succeeded: Bool, detail: String) {
        guard let command = takeover.fence else { return (true, "") }
        logger.notice("group \(group.name): fencing \(group.peer(of: node)) with: \(command)")
        let outcome = await ProcessRunner.run(
            command, environment: environment(), timeout: takeover.fenceTimeout.seconds)
        log("fence", outcome)
        return (outcome.succeeded, "fence `\(command)`: \(outcome.summary)" + Self.outputBlock(outcome.output))
    }

    /// Stores `ownership` first; when that fails nothing else is done.
    func takeOver(_ ownership: GroupOwnership) async -> (stored: Bool, report: Report) {
        var report = Report()
        let started = clock.monotonicSeconds()
        do {
            try database.saveOwnership(ownership, group: group.name, at: clock.wallTime())
        } catch {
            report.step("storing \(ownership) failed: \(error)", ok: false)
            logger.critical("group \(group.name): cannot store \(ownership), so nothing is taken over: \(error)")
            return (false, report)
        }
        report.step("stored \(ownership) (\(milliseconds(since: started)))")
        logger.notice("group \(group.name): stored \(ownership)")
        ownershipStored(ownership)
        let stopAt = clock.monotonicSeconds()
        await stopFollowing()
        report.step("replica stopped following, now the live data (\(milliseconds(since: stopAt)))")
        // Before the services start: the base is the tree as the old holder left it.
        let baseAt = clock.monotonicSeconds()
        let lines = await recordBase(ownership.epoch)
        report.step(
            "recorded the base of epoch \(ownership.epoch): \(lines.joined(separator: ", ")) (\(milliseconds(since: baseAt)))"
        )
        // Only at a takeover (a new epoch), not when this node acquires a group it already served (a restart, the
        // end of an isolation): then its files are the live ones, maybe mended during the outage.
        await installConfiguration(&report)
        await bringUp(&report)
        return (true, report)
    }

    /// The primary's configuration files, as this node keeps its copy, put in place before the services that read
    /// them start (when this node is not the primary and the group tracks files).
    func installConfiguration(_ report: inout Report) async {
        let installer = ConfigInstaller(node: node, group: group, database: database)
        guard installer.applies else { return }
        let (at, logger) = (clock.wallTime(), logger)
        let steps =
            (try? await onThread { installer.install(at: at, logger: logger) })
            ?? [("the primary's configuration files: could not be put in place", false)]
        for step in steps { report.step(step.line, ok: step.ok) }
    }

    /// Address, announcements, start scripts.
    func bringUp(_ report: inout Report) async {
        if let address = takeover.serviceAddress, let interface {
            let addAt = clock.monotonicSeconds()
            do {
                // Held (renewed, guarded) when it can die with the daemon; one it had already gets the lifetime too.
                let added =
                    try holdings.map { holdings throws(NetworkActionError) in
                        try holdings.add(.init(group: group.name, address: address, interface: interface))
                    } ?? InterfaceAddresses.add(address, interface: interface)
                report.step(
                    "\(added ? "added" : "already had") \(address) on \(interface) (\(milliseconds(since: addAt)))"
                )
                logger.notice("group \(group.name): \(added ? "added" : "already had") \(address) on \(interface)")
                announce(address, interface: interface, &report)
            } catch {
                report.step("adding \(address) to \(interface) failed: \(error)", ok: false)
                logger.error("group \(group.name): cannot add \(address) to \(interface): \(error)")
            }
        }
        for script in takeover.startScripts {
            let outcome = await ProcessRunner.run(
                script, environment: environment(), timeout: takeover.scriptTimeout.seconds)
            log("start script `\(script)`", outcome)
            report.step(
                "start `\(script)`: \(outcome.summary)" + Self.outputBlock(outcome.output), ok: outcome.succeeded)
        }
    }

    private func announce(_ address: ServiceAddress, interface: String, _ report: inout Report) {
        do {
            try AddressAnnouncer.announce(address, interface: interface)
            report.step(
                "announced \(address.address) on \(interface) (\(address.family == .ipv4 ? "gratuitous ARP" : "unsolicited neighbour advertisement")), \(takeover.announceCount - 1) more every \(takeover.announceInterval)"
            )
        } catch {
            report.step("announcing \(address.address) failed: \(error)", ok: false)
            logger.error("group \(group.name): cannot announce \(address.address) on \(interface): \(error)")
        }
        let count = takeover.announceCount
        let interval = takeover.announceInterval.seconds
        let logger = logger
        spawn {
            for _ in 1..<max(1, count) {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                // Announcing an address this node no longer holds would send clients to a MAC without it.
                guard (try? InterfaceAddresses.contains(address, interface: interface)) == true else { return }
                do { try AddressAnnouncer.announce(address, interface: interface) } catch {
                    logger.warning("announcing \(address.address) on \(interface) again failed: \(error)")
                }
            }
        }
    }

    /// A burst of announcements (the configured count and interval), e.g. once the old primary has given the
    /// address up: while it held it, it may have answered a client's ARP request.
    func announceBurst() async {
        guard let address = takeover.serviceAddress, let interface else { return }
        for index in 0..<takeover.announceCount {
            if index > 0 { try? await Task.sleep(nanoseconds: UInt64(takeover.announceInterval.seconds * 1e9)) }
            guard holdsAddress() else { return }
            do { try AddressAnnouncer.announce(address, interface: interface) } catch {
                logger.warning("announcing \(address.address) on \(interface) failed: \(error)")
                return
            }
        }
    }

    /// Re-announces while the address is held (`announce_refresh`).
    func refreshAnnouncement() {
        guard let address = takeover.serviceAddress, let interface, holdsAddress() else { return }
        do { try AddressAnnouncer.announce(address, interface: interface) } catch {
            logger.warning("refreshing the announcement of \(address.address) on \(interface) failed: \(error)")
        }
    }

    /// True when the service address is on this node's interface now.
    func holdsAddress() -> Bool {
        guard let address = takeover.serviceAddress, let interface else { return false }
        return (try? InterfaceAddresses.contains(address, interface: interface)) == true
    }

    /// The stop scripts alone (a switchover stops the services before it drains the mirror and gives up the address).
    func stopServices() async -> Report {
        var report = Report()
        for script in takeover.stopScripts {
            let outcome = await ProcessRunner.run(
                script, environment: environment(), timeout: takeover.scriptTimeout.seconds)
            log("stop script `\(script)`", outcome)
            report.step(
                "stop `\(script)`: \(outcome.summary)" + Self.outputBlock(outcome.output), ok: outcome.succeeded)
        }
        return report
    }

    /// Removes the address (when held), then runs the stop scripts when asked.
    func release(runStopScripts: Bool) async -> Report {
        var report = Report()
        if let address = takeover.serviceAddress, let interface {
            let at = clock.monotonicSeconds()
            do {
                // No longer renewed nor guarded: should the removal fail, the kernel drops it when its lifetime runs out.
                let removed =
                    try holdings.map { holdings throws(NetworkActionError) in
                        try holdings.remove(.init(group: group.name, address: address, interface: interface))
                    } ?? InterfaceAddresses.remove(address, interface: interface)
                if removed {
                    report.step("removed \(address) from \(interface) (\(milliseconds(since: at)))")
                    logger.notice("group \(group.name): removed \(address) from \(interface)")
                }
            } catch {
                report.step("removing \(address) from \(interface) failed: \(error)", ok: false)
                logger.error("group \(group.name): cannot remove \(address) from \(interface): \(error)")
            }
        }
        if runStopScripts {
            let stopped = await stopServices()
            for line in stopped.lines { report.step(line, ok: stopped.succeeded) }
        }
        return report
    }

    private func environment() -> [String: String] {
        var environment = [
            "UNDERSTUDY_GROUP": group.name, "UNDERSTUDY_NODE": node, "UNDERSTUDY_PEER": group.peer(of: node),
        ]
        if let address = takeover.serviceAddress { environment["UNDERSTUDY_SERVICE_ADDRESS"] = address.description }
        if let interface { environment["UNDERSTUDY_INTERFACE"] = interface }
        return environment
    }

    private func log(_ what: String, _ outcome: ProcessOutcome) {
        let text = "group \(group.name): \(what): \(outcome.summary)" + Self.outputBlock(outcome.output)
        if outcome.succeeded { logger.notice("\(text)") } else { logger.error("\(text)") }
    }

    private static func outputBlock(_ output: String) -> String {
        let trimmed = output.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty
            ? ""
            : "\n  | "
                + trimmed.split(separator: "\n", omittingEmptySubsequences: false).prefix(20).joined(
                    separator: "\n  | ")
    }

    func milliseconds(since start: Double) -> String {
        "\(Int(((clock.monotonicSeconds() - start) * 1000).rounded())) ms"
    }
}
