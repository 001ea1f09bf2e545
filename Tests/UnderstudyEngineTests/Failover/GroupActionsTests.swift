import Foundation
import NIOConcurrencyHelpers
import Testing
import UnderstudyCore
@testable import UnderstudyFailover
import UnderstudyState
import UnderstudySupport

/// The I/O of a group's takeover and hand-over, step by step, with real scripts and a real state database (no
/// service address: the address steps are the scenarios' business, in network namespaces).
struct GroupActionsTests {
    /// beta, the standby of "files", with start and stop scripts that write into `log`, and a fence that exits 3.
    struct Lab {
        let root: String
        let database: StateDatabase
        let group: GroupConfiguration
        let steps = NIOLockedValueBox<[String]>([])
        var log: String { root + "/scripts.log" }

        init(_ label: String) async throws {
            root = TestTree.makeTemporaryDirectory(label)
            let log = root + "/scripts.log"
            let configuration = try TestConfiguration.linkedPair(
                root: root,
                group: """
                    start = ['echo "start $UNDERSTUDY_GROUP $UNDERSTUDY_NODE $UNDERSTUDY_PEER" >> \(log)', 'exit 4', 'echo second-start >> \(log)']
                    stop = ['echo "stop $UNDERSTUDY_GROUP" >> \(log)']
                    fence = 'echo fencing >&2; exit 3'
                    """)
            group = try #require(configuration.groups["files"])
            let directory = root + "/beta-state"
            database = try await onThread { try StateDatabase(directory: directory) }
        }

        func actions() -> GroupActions {
            let steps = steps
            let database = database
            return GroupActions(
                node: "beta", group: group, database: database, logger: .init(label: "test"), clock: SystemClock(),
                spawn: { work in Task { await work() } },
                stopFollowing: { steps.withLockedValue { $0.append("stop following") } },
                recordBase: { epoch in
                    steps.withLockedValue { $0.append("base \(epoch)") }
                    return ["files/data 3"]
                },
                ownershipStored: { stored in
                    let onDisk = try? database.loadOwnership(group: "files")
                    steps.withLockedValue { $0.append("stored \(stored), on disk \(onDisk.map { "\($0)" } ?? "none")") }
                })
        }

        var scriptLines: [String] {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
    }

    @Test func takeOver_storesTheEpochFirst_thenStopsTheFollower_recordsTheBase_andRunsTheStartScripts() async throws {
        let lab = try await Lab("actions-takeover")
        defer { TestTree.remove(lab.root) }
        let beta1 = GroupOwnership(epoch: 1, owner: "beta")
        let (stored, report) = await lab.actions().takeOver(beta1)
        #expect(stored)
        #expect(
            lab.steps.withLockedValue { $0 } == [
                "stored epoch 1 (beta), on disk epoch 1 (beta)", "stop following", "base 1",
            ])
        // Every start script runs, in order, with the group's environment; the failing one is reported.
        #expect(lab.scriptLines == ["start files beta alpha", "second-start"])
        #expect(!report.succeeded)
        #expect(report.lines.first?.hasPrefix("stored epoch 1 (beta)") == true, "\(report.lines)")
        #expect(report.lines.contains { $0.hasPrefix("start `exit 4`: exit 4") }, "\(report.lines)")
        #expect(report.lines.contains { $0.contains("recorded the base of epoch 1: files/data 3") })
    }

    @Test func stopServices_runsTheStopScripts_only() async throws {
        let lab = try await Lab("actions-stop")
        defer { TestTree.remove(lab.root) }
        let report = await lab.actions().stopServices()
        #expect(report.succeeded && report.lines.count == 1)
        #expect(lab.scriptLines == ["stop files"])
        #expect(lab.steps.withLockedValue { $0 }.isEmpty)
        // A release without an address runs the stop scripts only when asked.
        _ = await lab.actions().release(runStopScripts: false)
        #expect(lab.scriptLines == ["stop files"])
        _ = await lab.actions().release(runStopScripts: true)
        #expect(lab.scriptLines == ["stop files", "stop files"])
    }

    @Test func aFailingFence_isReported_withItsOutput() async throws {
        let lab = try await Lab("actions-fence")
        defer { TestTree.remove(lab.root) }
        let (succeeded, detail) = await lab.actions().fence()
        #expect(!succeeded)
        #expect(detail.contains("exit 3") && detail.contains("fencing"), "\(detail)")
    }
}
