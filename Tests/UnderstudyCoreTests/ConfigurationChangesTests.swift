import Testing
import UnderstudyCore

struct ConfigurationChangesTests {
    static let base = """
        cluster = "c"
        [nodes.alpha]
        address = "10.0.0.1:7700"
        [nodes.beta]
        address = "10.0.0.2:7700"
        [groups.web]
        primary = "alpha"
        standby = "beta"
        [[groups.web.shares]]
        name = "site"
        source = "/srv/www"
        replica = "/srv/replica"
        """

    func load(_ text: String) throws -> ClusterConfiguration {
        try ConfigurationLoader.load(text: text, path: "/etc/understudy/understudy.toml").get()
    }

    @Test func theSameFile_orOneWithOnlyCommentsMoved_changesNothing() throws {
        let changes = ConfigurationChanges.between(try load(Self.base), try load("# a comment\n\n" + Self.base))
        #expect(changes.isEmpty)
    }

    @Test func notifyChannels_areAppliedInPlace_andTheStallThresholdWaitsForARestart() throws {
        let running = try load(Self.base)
        let loaded = try load(
            Self.base + "\n[notify]\nreplication_stalled_after = \"10m\"\n[notify.command]\ncommand = \"true\"\n")
        let changes = ConfigurationChanges.between(running, loaded)
        #expect(changes.notifications)
        #expect(changes.atRestart == ["[notify] replication_stalled_after"])
        let applied = ConfigurationChanges.applied(changes, from: loaded, to: running)
        #expect(applied.notify.command?.command == "true")
        #expect(applied.notify.replicationStalledAfter == running.notify.replicationStalledAfter)
        // The next reload of the same file finds only what still waits for the restart.
        let again = ConfigurationChanges.between(applied, loaded)
        #expect(!again.notifications && again.atRestart == ["[notify] replication_stalled_after"])
    }

    @Test func groupsAndNodes_addedRemovedOrChanged_areNamedForTheRestart() throws {
        let running = try load(Self.base)
        let loaded = try load(
            Self.base.replacingOccurrences(of: "source = \"/srv/www\"", with: "source = \"/srv/web\"")
                + "\n[nodes.gamma]\naddress = \"10.0.0.3:7700\"\n[groups.mail]\nprimary = \"gamma\"\nstandby = \"beta\"\n"
                + "[[groups.mail.shares]]\nname = \"spool\"\nsource = \"/var/mail\"\n\n[heartbeat]\ninterval = \"100ms\"\n"
        )
        let changes = ConfigurationChanges.between(running, loaded)
        #expect(!changes.notifications)
        #expect(changes.atRestart == ["[heartbeat]", "node gamma added", "group mail added", "group web changed"])
        let removed = ConfigurationChanges.between(loaded, running)
        #expect(removed.atRestart == ["[heartbeat]", "node gamma removed", "group mail removed", "group web changed"])
    }

    @Test func aGroupWhoseOnlyChangeIsItsBandwidth_isSetInPlace_andAnyOtherChangeWaitsForTheRestart() throws {
        let running = try load(Self.base)
        let limited = Self.base.replacingOccurrences(
            of: "standby = \"beta\"\n", with: "standby = \"beta\"\nbandwidth = \"5MB/s\"\n")
        let changes = ConfigurationChanges.between(running, try load(limited))
        #expect(changes.bandwidth == ["web"] && changes.atRestart.isEmpty)
        let applied = ConfigurationChanges.applied(changes, from: try load(limited), to: running)
        #expect(applied.groups["web"]?.bandwidth.bytesPerSecond == 5_000_000)
        #expect(ConfigurationChanges.between(applied, try load(limited)).isEmpty)
        let more = limited.replacingOccurrences(of: "/srv/replica", with: "/srv/other")
        let both = ConfigurationChanges.between(running, try load(more))
        #expect(both.bandwidth.isEmpty && both.atRestart == ["group web changed"])
    }
}
