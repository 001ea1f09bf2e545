import Testing
import UnderstudyCore

struct ReplicaCapacityTests {
    static let mib: Int64 = 1 << 20

    static func use(
        total: Int64, available: Int64, used: Int64 = 0, pending: Int64 = 0
    )
        -> ReplicaCapacity.FileSystemUse
    {
        ReplicaCapacity.FileSystemUse(
            replicas: ["web/site (/srv/web)", "mail/spool (/srv/mail)"], totalBytes: total * mib,
            availableBytes: available * mib, usedByReplicas: used * mib, pendingBytes: pending * mib)
    }

    @Test func roomyFileSystem_isNotWarnedOf() {
        #expect(ReplicaCapacity.warnings([Self.use(total: 1000, available: 500, used: 400, pending: 100)]).isEmpty)
    }

    @Test func syncsThatCannotFit_areWarnedOf_namingEveryReplicaThere() {
        let warnings = ReplicaCapacity.warnings([Self.use(total: 1000, available: 200, used: 700, pending: 300)])
        #expect(warnings.count == 1)
        let text = warnings.first ?? ""
        #expect(text.contains("cannot hold the replicas"), "\(text)")
        #expect(text.contains("web/site (/srv/web), mail/spool (/srv/mail)"), "\(text)")
        #expect(text.contains("300.0 MiB to write"), "\(text)")
        #expect(text.contains("the group whose write fails stops mirroring"), "\(text)")
    }

    @Test func lessThanATenthLeftAfterThePendingSyncs_isNearlyFull() {
        let warnings = ReplicaCapacity.warnings([Self.use(total: 1000, available: 150, used: 800, pending: 60)])
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("is 91 % full once the syncs under way end") == true, "\(warnings)")
        #expect(ReplicaCapacity.warnings([Self.use(total: 1000, available: 101)]).isEmpty)
        #expect(ReplicaCapacity.warnings([Self.use(total: 1000, available: 99)]).count == 1)
    }

    @Test func fileSystemsAreJudgedApart() {
        let warnings = ReplicaCapacity.warnings([
            Self.use(total: 1000, available: 900), Self.use(total: 1000, available: 10),
            Self.use(total: 0, available: 0),
        ])
        #expect(warnings.count == 1)
    }
}
