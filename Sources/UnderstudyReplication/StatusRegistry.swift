import Foundation
import NIOConcurrencyHelpers
import UnderstudyCore

/// The live figures of every group and share on this node, written by the sync sessions and read by the
/// control API. Thread-safe; every change is one short critical section.
public final class StatusRegistry: Sendable {
    private let groups: NIOLockedValueBox<[String: GroupStatus]>
    private let progress: NIOLockedValueBox<[String: TransferProgress]>
    private let live = NIOLockedValueBox<[String: LiveFigures]>([:])
    private let throughput = NIOLockedValueBox<[String: ThroughputMeter]>([:])

    public init(_ initial: [GroupStatus]) {
        groups = NIOLockedValueBox(Dictionary(uniqueKeysWithValues: initial.map { ($0.name, $0) }))
        progress = NIOLockedValueBox([:])
    }

    public func add(_ group: GroupStatus) {
        groups.withLockedValue { $0[group.name] = group }
    }

    /// `group` leaves the status (a reload removed it), with its shares' figures.
    public func remove(group: String) {
        groups.withLockedValue { $0[group] = nil }
        let prefix = group + "/"
        progress.withLockedValue { $0 = $0.filter { !$0.key.hasPrefix(prefix) } }
        live.withLockedValue { $0 = $0.filter { !$0.key.hasPrefix(prefix) } }
        throughput.withLockedValue { $0 = $0.filter { !$0.key.hasPrefix(prefix) } }
    }

    public func snapshot(now: Double) -> [GroupStatus] {
        let running = progress.withLockedValue { $0 }
        let figures = live.withLockedValue { $0 }
        let meters = throughput.withLockedValue { $0 }
        return groups.withLockedValue { $0 }.values.sorted { $0.name < $1.name }.map { group in
            var group = group
            group.shares = group.shares.map { share in
                var share = share
                let key = "\(group.name)/\(share.name)"
                if let live = figures[key] {
                    share.changesPending = live.changesPending
                    share.lagSeconds = live.oldestPendingAt.map { max(0, now - $0) } ?? 0
                    share.watchedDirectories = live.watchedDirectories
                    share.captureBackend = live.captureBackend
                    share.captureProblem = live.captureProblem
                }
                share.throughputBytesPerSecond = meters[key]?.rate(at: now) ?? 0
                if let running = running[key] {
                    share.filesTotal = running.filesTotal
                    share.filesDone = running.filesDone
                    share.bytesTotal = running.bytesTotal
                    share.bytesDone = running.bytesDone
                    share.rateBytesPerSecond = running.rate(now: now)
                    share.etaSeconds = running.eta(now: now)
                }
                return share
            }
            return group
        }
    }

    public func update(group: String, _ change: (inout GroupStatus) -> Void) {
        groups.withLockedValue { all in
            if var status = all[group] {
                change(&status)
                all[group] = status
            }
        }
    }

    public func update(group: String, share: String, _ change: (inout ShareStatus) -> Void) {
        update(group: group) { status in
            if let index = status.shares.firstIndex(where: { $0.name == share }) {
                change(&status.shares[index])
            }
        }
    }

    public func setProgress(group: String, share: String, _ value: TransferProgress?) {
        progress.withLockedValue { $0["\(group)/\(share)"] = value }
    }

    public func updateProgress(group: String, share: String, _ change: (inout TransferProgress) -> Void) {
        progress.withLockedValue { all in
            if var value = all["\(group)/\(share)"] {
                change(&value)
                all["\(group)/\(share)"] = value
            }
        }
    }

    public func setLive(group: String, share: String, _ figures: LiveFigures) {
        live.withLockedValue { $0["\(group)/\(share)"] = figures }
    }

    public func updateLive(group: String, share: String, _ change: (inout LiveFigures) -> Void) {
        live.withLockedValue { all in
            var figures = all["\(group)/\(share)"] ?? LiveFigures(changesPending: 0, oldestPendingAt: nil)
            change(&figures)
            all["\(group)/\(share)"] = figures
        }
    }

    /// Counts `bytes` moved for the share's throughput figure.
    public func recordTransfer(group: String, share: String, bytes: Int64, at now: Double) {
        throughput.withLockedValue { $0["\(group)/\(share)", default: ThroughputMeter()].record(bytes, at: now) }
    }

    public func progress(group: String, share: String) -> TransferProgress? {
        progress.withLockedValue { $0["\(group)/\(share)"] }
    }
}
