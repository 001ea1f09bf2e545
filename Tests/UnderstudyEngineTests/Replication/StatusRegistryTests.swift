import Testing
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudyReplication

struct StatusRegistryTests {
    @Test func snapshot_showsRunningTransferWithRateAndETA() {
        let registry = StatusRegistry([
            GroupStatus(
                name: "files", role: .standby, peer: "alpha", peerConnected: true,
                shares: [ShareStatus(name: "data", path: "/r", state: .initialSync)])
        ])
        registry.setProgress(
            group: "files", share: "data", TransferProgress(filesTotal: 4, bytesTotal: 4000, startedAt: 10))
        registry.updateProgress(group: "files", share: "data") { progress in
            progress.filesDone = 1
            progress.bytesDone = 1000
        }
        let share = registry.snapshot(now: 20)[0].shares[0]
        #expect(share.filesPending == 3)
        #expect(share.bytesPending == 3000)
        #expect(share.rateBytesPerSecond == 100)
        #expect(share.etaSeconds == 30)
        registry.setProgress(group: "files", share: "data", nil)
        #expect(registry.snapshot(now: 30)[0].shares[0].bytesPending == 0)
    }
}
