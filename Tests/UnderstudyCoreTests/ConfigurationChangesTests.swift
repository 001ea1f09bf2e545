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
            Self.base.replacingOccurrences(
                of: "standby = \"beta\"\n", with: "standby = \"beta\"\nquiet_delay = \"50ms\"\n")
                + "\n[nodes.gamma]\naddress = \"10.0.0.3:7700\"\n[groups.mail]\nprimary = \"gamma\"\nstandby = \"beta\"\n"
                + "[[groups.mail.shares]]\nname = \"spool\"\nsource = \"/var/mail\"\n\n[heartbeat]\ninterval = \"100ms\"\n"
        )
        let changes = ConfigurationChanges.between(running, loaded)
        #expect(!changes.notifications)
        #expect(changes.atRestart == ["[heartbeat]", "node gamma added", "group mail added", "group web changed"])
        let removed = ConfigurationChanges.between(loaded, running)
        #expect(removed.atRestart == ["[heartbeat]", "node gamma removed", "group mail removed", "group web changed"])
    }

    @Test func groupsAndNodes_thisNodeTakesNoPartIn_areTakenAtOnce_theOthersWaitForTheRestart() throws {
        let running = try load(Self.base)
        let mail =
            "\n[nodes.gamma]\naddress = \"10.0.0.3:7700\"\n[groups.mail]\nprimary = \"gamma\"\nstandby = \"beta\"\n"
            + "[[groups.mail.shares]]\nname = \"spool\"\nsource = \"/var/mail\"\nreplica = \"/srv/mail\"\n"
        let loaded = try load(Self.base + mail)
        // alpha is not in group mail, and gamma is in none of alpha's groups: nothing on alpha changes.
        let onAlpha = ConfigurationChanges.between(running, loaded, node: "alpha")
        #expect(onAlpha.atRestart.isEmpty && onAlpha.elsewhere == ["node gamma added", "group mail added"])
        #expect(
            onAlpha.appliedNames == [
                "node gamma added (this node takes no part in it)", "group mail added (this node takes no part in it)",
            ])
        let applied = ConfigurationChanges.applied(onAlpha, from: loaded, to: running)
        #expect(applied.groups["mail"] != nil && applied.nodes["gamma"] != nil)
        #expect(ConfigurationChanges.between(applied, loaded, node: "alpha").isEmpty)
        // beta is mail's standby: the group and its new primary are taken in place, started on the running node.
        let onBeta = ConfigurationChanges.between(running, loaded, node: "beta")
        #expect(onBeta.elsewhere.isEmpty && onBeta.atRestart.isEmpty)
        #expect(onBeta.groupsAdded == ["mail"] && onBeta.nodesAdded == ["gamma"])
        #expect(onBeta.appliedNames == ["node gamma added", "group mail added"])
        #expect(ConfigurationChanges.applied(onBeta, from: loaded, to: running) == loaded)
        let offBeta = ConfigurationChanges.between(loaded, running, node: "beta")
        #expect(offBeta.groupsRemoved == ["mail"] && offBeta.nodesRemoved == ["gamma"])
        #expect(ConfigurationChanges.applied(offBeta, from: running, to: loaded) == running)
        // A removal beta could not take keeps the group, and the node it names.
        var refused = offBeta
        refused.keepOut(["mail"], running: loaded, loaded: running)
        #expect(refused.appliedNames.isEmpty && refused.atRestart == ["node gamma removed"])
        let kept = ConfigurationChanges.applied(refused, from: running, to: loaded)
        #expect(kept.groups["mail"] != nil && kept.nodes["gamma"] != nil)
        // Removed again: the same on each.
        #expect(
            ConfigurationChanges.between(loaded, running, node: "alpha").elsewhere == [
                "node gamma removed", "group mail removed",
            ])
    }

    @Test func aGroupWhoseOnlyChangeIsItsBandwidth_isSetInPlace_andAnyOtherChangeWaitsForTheRestart() throws {
        let running = try load(Self.base)
        let limited = Self.base.replacingOccurrences(
            of: "standby = \"beta\"\n", with: "standby = \"beta\"\nbandwidth = \"5MB/s\"\n")
        let changes = ConfigurationChanges.between(running, try load(limited))
        #expect(changes.groups == [GroupChange(group: "web", parts: [.bandwidth])] && changes.atRestart.isEmpty)
        #expect(changes.appliedNames == ["the bandwidth of group web"])
        let applied = ConfigurationChanges.applied(changes, from: try load(limited), to: running)
        #expect(applied.groups["web"]?.bandwidth.bytesPerSecond == 5_000_000)
        #expect(ConfigurationChanges.between(applied, try load(limited)).isEmpty)
        let more = limited.replacingOccurrences(of: "primary = \"alpha\"", with: "primary = \"alpha\"\nlive = false")
        let both = ConfigurationChanges.between(running, try load(more))
        #expect(both.groups.isEmpty && both.atRestart == ["group web changed"])
    }

    @Test func checksSchedulesPatternsAndIntervals_areTakenInPlace_eachNamed() throws {
        let linked = Self.base.replacingOccurrences(
            of: "address = \"10.0.0.2:7700\"\n",
            with: "address = \"10.0.0.2:7700\"\nlinks = { lan = \"10.0.0.2\" }\n"
        ).replacingOccurrences(
            of: "address = \"10.0.0.1:7700\"\n", with: "address = \"10.0.0.1:7700\"\nlinks = { lan = \"10.0.0.1\" }\n")
        let running = try load(linked)
        let text =
            linked.replacingOccurrences(
                of: "standby = \"beta\"\n",
                with: "standby = \"beta\"\nresync_interval = \"5m\"\nbandwidth = \"1MB/s\"\n")
            + "\nexclude = [\"*.tmp\"]\n"
            + "\n[[groups.web.archives]]\nname = \"nightly\"\nshare = \"site\"\nevery = \"daily\"\nat = \"02:00\"\nkeep = 7\n"
            + "\n[[groups.web.checks]]\nname = \"http\"\ntype = \"http\"\nurl = \"http://10.0.0.1/\"\n"
        let loaded = try load(text)
        let changes = ConfigurationChanges.between(running, loaded)
        #expect(changes.atRestart.isEmpty, "\(changes.atRestart)")
        #expect(
            changes.groups == [
                GroupChange(
                    group: "web", parts: [.bandwidth, .checks, .archives, .patterns, .intervals], shares: ["site"])
            ])
        #expect(
            changes.appliedNames == [
                "the bandwidth of group web", "the checks of group web", "the archive schedules of group web",
                "the patterns of share web/site", "the resync and verify intervals of group web",
            ])
        // Once applied, the running configuration is the loaded one.
        #expect(ConfigurationChanges.applied(changes, from: loaded, to: running) == loaded)
        // With anything else changed too, the whole group waits for the restart (nothing of it is applied).
        let other = try load(
            text.replacingOccurrences(of: "primary = \"alpha\"", with: "primary = \"alpha\"\nlive = false"))
        let mixed = ConfigurationChanges.between(running, other)
        #expect(mixed.groups.isEmpty && mixed.atRestart == ["group web changed"])
    }

    @Test func sharesAddedOrRemoved_restartOnlyTheirGroupsMirror_unlessAnOffsiteNodeKeepsACopy_orAShareMoved() throws {
        let running = try load(Self.base)
        let added = try load(
            Self.base + "\n[[groups.web.shares]]\nname = \"logs\"\nsource = \"/srv/logs\"\nreplica = \"/srv/logs-r\"\n")
        let adding = ConfigurationChanges.between(running, added)
        #expect(adding.atRestart.isEmpty)
        #expect(adding.groups == [GroupChange(group: "web", parts: [.shares], added: ["logs"])])
        #expect(adding.appliedNames == ["the shares of group web (added: logs)"])
        #expect(
            ConfigurationChanges.between(added, running).appliedNames == ["the shares of group web (removed: logs)"])
        // A share whose paths changed is another share: its group waits for the restart.
        let moved = try load(Self.base.replacingOccurrences(of: "/srv/replica", with: "/srv/other"))
        #expect(ConfigurationChanges.between(running, moved).atRestart == ["group web changed"])
        #expect(ConfigurationChanges.applied(adding, from: added, to: running) == added)
        // An off-site copy's cascade is set up at the start: its group's shares wait for the restart.
        let withOffsite = Self.base.replacingOccurrences(
            of: "[groups.web]\n",
            with: "[nodes.gamma]\naddress = \"10.0.0.3:7700\"\n[groups.web]\noffsite = \"gamma\"\n")
        let offsiteAdded = try load(
            withOffsite
                + "\n[[groups.web.shares]]\nname = \"logs\"\nsource = \"/srv/logs\"\nreplica = \"/srv/logs-r\"\n")
        let offsite = ConfigurationChanges.between(try load(withOffsite), offsiteAdded)
        #expect(offsite.groups.isEmpty && offsite.atRestart == ["group web changed"])
    }

    @Test func aGroupWithAnOffsiteOrWitnessNode_addedOrRemoved_waitsForTheRestart_onItsNodes_aWitnessTargetDoesNot()
        throws
    {
        // A witness watches over links: each node has one.
        let linked = Self.base.replacingOccurrences(
            of: "address = \"10.0.0.1:7700\"\n", with: "address = \"10.0.0.1:7700\"\nlinks = { lan = \"10.0.0.1\" }\n"
        ).replacingOccurrences(
            of: "address = \"10.0.0.2:7700\"\n", with: "address = \"10.0.0.2:7700\"\nlinks = { lan = \"10.0.0.2\" }\n")
        let running = try load(linked)
        let gamma = "\n[nodes.gamma]\naddress = \"10.0.0.3:7700\"\nlinks = { lan = \"10.0.0.3\" }\n"
        let mail =
            "[groups.mail]\nprimary = \"alpha\"\nstandby = \"beta\"\nOPTION\n"
            + "[[groups.mail.shares]]\nname = \"spool\"\nsource = \"/var/mail\"\nreplica = \"/srv/mail\"\n"
        for option in ["offsite = \"gamma\"", "witness = \"gamma\""] {
            let loaded = try load(linked + gamma + mail.replacingOccurrences(of: "OPTION", with: option))
            let onAlpha = ConfigurationChanges.between(running, loaded, node: "alpha")
            // Its new node waits with it.
            #expect(
                onAlpha.groupsAdded.isEmpty && onAlpha.nodesAdded.isEmpty
                    && onAlpha.atRestart == ["group mail added", "node gamma added"], "\(option)")
            #expect(
                ConfigurationChanges.between(loaded, running, node: "beta").atRestart == [
                    "group mail removed", "node gamma removed",
                ])
        }
        // A witness target is one more check of the group: taken with it.
        let target = try load(
            linked + gamma
                + mail.replacingOccurrences(
                    of: "OPTION", with: "[groups.mail.witness]\ntype = \"tcp\"\ntarget = \"10.0.0.9:443\"\n"))
        #expect(ConfigurationChanges.between(running, target, node: "alpha").groupsAdded == ["mail"])
    }
}
