import Testing
import UnderstudyCore

/// Rules across nodes and groups: addresses, directories and sockets that must differ, and
/// directories that must not overlap on one machine.
@Suite struct ConfigurationValidatorConflictsTests {
    @Test func reports_twoNodesWithTheSameAddress_atTheLaterOne() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.alpha]
            address = "alpha.example.com:7700"
            state_dir = "/var/lib/u/alpha"
            [nodes.beta]
            address = "ALPHA.example.com:7700"
            state_dir = "/var/lib/u/beta"
            """, line: 6, code: .conflict,
            "address 'ALPHA.example.com:7700' of node 'beta' is the same as the address 'alpha.example.com:7700' of node 'alpha' (line 3)"
        )
    }

    @Test func reports_sameAddress_writtenAsLocalhostAndLoopbackIP() {
        let problems = configurationProblems(
            """
            cluster = "c"
            [nodes.alpha]
            address = "127.0.0.1:7700"
            state_dir = "/var/lib/u/alpha"
            [nodes.beta]
            address = "localhost:7700"
            state_dir = "/var/lib/u/beta"
            """)
        #expect(problems.map(\.line) == [6])
        #expect(problems.first?.code == .conflict)
    }

    @Test func accepts_samePort_onDifferentHosts() throws {
        _ = try loadConfiguration(
            """
            cluster = "c"
            [nodes.alpha]
            address = "10.0.0.1:7700"
            [nodes.beta]
            address = "10.0.0.2:7700"
            """
        ).get()
    }

    @Test func reports_twoNodesOnOneHost_withTheDefaultStateDir() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.alpha]
            address = "127.0.0.1:7701"
            [nodes.beta]
            address = "127.0.0.1:7702"
            """, line: 4, code: .conflict,
            "state_dir '/var/lib/understudy' (the default) of node 'beta' overlaps the state_dir '/var/lib/understudy' of node 'alpha' (line 2); nodes on one machine (127.0.0.1) need separate state directories"
        )
    }

    @Test func reports_twoNodesOnOneHost_withNestedStateDirs() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.alpha]
            address = "host.example:7701"
            state_dir = "/var/lib/u"
            [nodes.beta]
            address = "host.example:7702"
            state_dir = "/var/lib/u/beta"
            """, line: 7, code: .conflict, "overlaps the state_dir '/var/lib/u' of node 'alpha' (line 4)")
    }

    @Test func accepts_sameStateDir_onDifferentHosts() throws {
        _ = try loadConfiguration(
            """
            cluster = "c"
            [nodes.alpha]
            address = "10.0.0.1:7700"
            [nodes.beta]
            address = "10.0.0.2:7700"
            """
        ).get()
    }

    @Test func reports_twoNodesOnOneHost_withTheSameControlSocket() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.alpha]
            address = "127.0.0.1:7701"
            state_dir = "/var/lib/u/alpha"
            control_socket = "/run/understudy.sock"
            [nodes.beta]
            address = "127.0.0.1:7702"
            state_dir = "/var/lib/u/beta"
            control_socket = "/run/understudy.sock"
            """, line: 9, code: .conflict,
            "control_socket '/run/understudy.sock' of node 'beta' is also the control socket of node 'alpha' (line 5)")
    }

    @Test func reports_defaultReplica_onTheSourceItself_whenBothNodesShareAMachine() {
        expectSingleConfigurationProblem(
            Self.oneMachine(
                share: """
                    [[groups.g.shares]]
                    name = "www"
                    source = "/srv/www"
                    """), line: 12, code: .conflict,
            "share 'www' in group 'g' has no 'replica', so it would be mirrored onto its own source '/srv/www'; primary 'alpha' and standby 'beta' run on one machine (127.0.0.1)"
        )
    }

    @Test func reports_replicaInsideItsSource_whenBothNodesShareAMachine() {
        expectSingleConfigurationProblem(
            Self.oneMachine(
                share: """
                    [[groups.g.shares]]
                    name = "www"
                    source = "/srv/www"
                    replica = "/srv/www/mirror"
                    """), line: 15, code: .conflict,
            "replica '/srv/www/mirror' of share 'www' in group 'g' overlaps its source '/srv/www'")
    }

    @Test func reports_sourceInsideItsReplica_whenBothNodesShareAMachine() {
        expectSingleConfigurationProblem(
            Self.oneMachine(
                share: """
                    [[groups.g.shares]]
                    name = "www"
                    source = "/srv/www"
                    replica = "/srv"
                    """), line: 15, code: .conflict, "overlaps its source '/srv/www'")
    }

    @Test func accepts_replicaBesideItsSource_onOneMachine() throws {
        _ = try loadConfiguration(
            Self.oneMachine(
                share: """
                    [[groups.g.shares]]
                    name = "www"
                    source = "/srv/www"
                    replica = "/srv/www-replica"
                    """)
        ).get()
    }

    @Test func accepts_replicaEqualToSource_onDifferentMachines() throws {
        _ = try loadConfiguration(ConfigurationValidatorTests.oneShare()).get()
    }

    @Test func reports_twoReplicasOverlapping_onTheSameStandby_acrossGroups() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.alpha]
            address = "alpha.example.com:7700"
            [nodes.beta]
            address = "beta.example.com:7700"
            [nodes.gamma]
            address = "gamma.example.com:7700"
            [groups.web]
            primary = "alpha"
            standby = "gamma"
            [[groups.web.shares]]
            name = "www"
            source = "/srv/www"
            replica = "/replicas"
            [groups.mail]
            primary = "beta"
            standby = "gamma"
            [[groups.mail.shares]]
            name = "spool"
            source = "/var/spool/mail"
            replica = "/replicas/mail"
            """, line: 21, code: .conflict,
            "replica '/replicas/mail' of share 'spool' in group 'mail' overlaps the replica '/replicas' of share 'www' in group 'web' (line 14); both are written on standby machine gamma.example.com"
        )
    }

    @Test func reports_twoReplicasOverlapping_withinOneGroup() {
        expectSingleConfigurationProblem(
            ConfigurationValidatorTests.oneShare(extra: "replica = \"/mirror/a\"") + """

                [[groups.g.shares]]
                name = "t"
                source = "/srv/t"
                replica = "/mirror/a"
                """, line: 17, code: .conflict,
            "replica '/mirror/a' of share 't' in group 'g' overlaps the replica '/mirror/a' of share 's' in group 'g' (line 13)"
        )
    }

    @Test func accepts_equalReplicaPaths_onDifferentStandbyMachines() throws {
        _ = try loadConfiguration(
            """
            cluster = "c"
            [nodes.a]
            address = "a.example:1"
            [nodes.b]
            address = "b.example:1"
            [nodes.c]
            address = "c.example:1"
            [groups.one]
            primary = "a"
            standby = "b"
            shares = [{ name = "s", source = "/s", replica = "/r" }]
            [groups.two]
            primary = "a"
            standby = "c"
            shares = [{ name = "s", source = "/t", replica = "/r" }]
            """
        ).get()
    }

    @Test func reports_replicaOverlappingAStateDir_onTheStandbyMachine() {
        expectSingleConfigurationProblem(
            ConfigurationValidatorTests.oneShare(extra: "replica = \"/var/lib\""), line: 13, code: .conflict,
            "replica '/var/lib' of share 's' in group 'g' overlaps the state_dir '/var/lib/understudy' of node 'beta' (line 4)"
        )
    }

    /// alpha and beta on 127.0.0.1 with separate state directories; group g is alpha → beta, and
    /// `share` starts on line 12.
    static func oneMachine(share: String) -> String {
        """
        cluster = "c"
        [nodes.alpha]
        address = "127.0.0.1:7701"
        state_dir = "/var/lib/understudy/alpha"
        [nodes.beta]
        address = "127.0.0.1:7702"
        state_dir = "/var/lib/understudy/beta"
        [groups.g]
        primary = "alpha"
        standby = "beta"

        \(share)
        """
    }
}
