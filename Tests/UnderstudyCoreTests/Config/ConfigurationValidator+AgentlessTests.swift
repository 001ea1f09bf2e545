import Testing
import UnderstudyCore

/// `agentless = true`: a primary that runs no understudy, its shares mounted on the standby.
@Suite struct ConfigurationValidatorAgentlessTests {
    static func text(
        group: String = "", share: String = "replica = \"/srv/replica/docs\"", nodes: String = ""
    ) -> String {
        """
        cluster = "c"
        [nodes.beta]
        address = "b:1"
        \(nodes)
        [groups.files]
        agentless = true
        primary = "filer"
        standby = "beta"
        \(group)
        [[groups.files.shares]]
        name = "docs"
        source = "/mnt/filer/docs"
        \(share)
        """
    }

    @Test func agentlessGroup_namesAHostAsPrimary_isScannedEvery30s_andFailsOverByHand() throws {
        let configuration = try loadConfiguration(Self.text()).get()
        let group = try #require(configuration.groups["files"])
        #expect(group.agentless)
        #expect(group.primary == "filer")
        #expect(configuration.nodes["filer"] == nil)
        #expect(group.resyncInterval == GroupConfiguration.defaultScanInterval)
        #expect(group.live == false)
        #expect(group.takeover.mode == .manual)
        #expect(configuration.groups(whereNode: "beta").map(\.name) == ["files"])
        let scanned = try loadConfiguration(Self.text(group: "scan_interval = \"5s\"")).get()
        #expect(scanned.groups["files"]?.resyncInterval.seconds == 5)
    }

    @Test func automaticTakeover_ofAnAgentlessPrimary_needsAFenceAndChecks() throws {
        expectSingleConfigurationProblem(
            Self.text(group: "failover = \"auto\""), line: 9, code: .invalidValue,
            "add a 'fence' command that powers the primary off and at least one check of its services")
        let fenced = """
            failover = "auto"
            fence = "/usr/local/sbin/power-off filer"
            [[groups.files.checks]]
            type = "tcp"
            target = "10.0.0.5:445"
            """
        let configuration = try loadConfiguration(Self.text(group: fenced)).get()
        #expect(configuration.groups["files"]?.takeover.mode == .auto)
    }

    @Test func refuses_whatNeedsADaemonOnThePrimary_sayingWhy() {
        expectSingleConfigurationProblem(
            Self.text(group: "live = true"), line: 9, code: .invalidValue, "following changes live needs understudy")
        expectSingleConfigurationProblem(
            Self.text(group: "resync_interval = \"1m\""), line: 9, code: .invalidValue, "write scan_interval")
        expectSingleConfigurationProblem(
            Self.text(group: "bandwidth = \"10MB/s\""), line: 9, code: .invalidValue, "not for an agentless group")
        expectSingleConfigurationProblem(
            Self.text(group: "failback = \"auto\""), line: 9, code: .invalidValue, "understudy failback files")
        let offsite = configurationProblems(
            Self.text(group: "offsite = \"gamma\"", nodes: "[nodes.gamma]\naddress = \"g:1\""))
        #expect(
            offsite.contains {
                $0.line == 10 && $0.message.contains("an off-site copy of an agentless group is not in this version")
            })
    }

    @Test func refuses_aPrimaryThatIsANode_andAScanIntervalWithoutAgentless() {
        expectSingleConfigurationProblem(
            Self.text(nodes: "[nodes.filer]\naddress = \"f:1\""), line: 8, code: .invalidValue,
            "is a node of [nodes], which runs understudy")
        let plain =
            Self.text().replacingOccurrences(of: "agentless = true", with: "scan_interval = \"5s\"")
            .replacingOccurrences(of: "primary = \"filer\"", with: "primary = \"beta2\"")
            + "\n[nodes.beta2]\naddress = \"c:1\""
        let problems = configurationProblems(plain)
        #expect(
            problems.contains {
                $0.message.contains("'scan_interval' in [groups.files] is for a group whose primary runs no understudy")
            })
    }

    @Test func eachShare_needsAReplica_outsideEverySource() {
        expectSingleConfigurationProblem(
            Self.text(share: ""), line: 10, code: .missingKey, "needs a 'replica'")
        expectSingleConfigurationProblem(
            Self.text(share: "replica = \"/mnt/filer/docs/copy\""), line: 13, code: .conflict,
            "overlaps the source '/mnt/filer/docs'")
        expectSingleConfigurationProblem(
            Self.text(share: "replica = \"/mnt\""), line: 13, code: .conflict, "overlaps")
    }

    @Test func agentless_mustBeABoolean() {
        let text = Self.text().replacingOccurrences(of: "agentless = true", with: "agentless = \"yes\"")
        let problems = configurationProblems(text)
        #expect(problems.contains { $0.line == 6 && $0.code == .wrongType && $0.message.contains("true or false") })
    }

    @Test func theServiceAddress_goesOnTheStandbysInterface_namedAloneOrForAll() throws {
        let perNode = "service_address = \"10.0.0.100/24\"\ninterface = { beta = \"eth1\" }"
        let configuration = try loadConfiguration(Self.text(group: perNode)).get()
        #expect(configuration.groups["files"]?.takeover.interfaces == ["beta": "eth1"])
        let primaryNamed = "service_address = \"10.0.0.100/24\"\ninterface = { beta = \"eth1\", filer = \"eth0\" }"
        #expect(configurationProblems(Self.text(group: primaryNamed)).contains { $0.message.contains("'filer'") })
    }

    @Test func anotherGroupsReplica_mustNotLieInAnAgentlessSource() {
        let other = """

            [nodes.alpha]
            address = "a:1"
            [groups.web]
            primary = "alpha"
            standby = "beta"
            [[groups.web.shares]]
            name = "site"
            source = "/srv/www"
            replica = "/mnt/filer/docs/www"
            """
        let problems = configurationProblems(Self.text() + other)
        #expect(
            problems.contains { $0.code == .conflict && $0.message.contains("overlaps the source '/mnt/filer/docs'") },
            "\(problems)")
    }
}
