import Testing
import UnderstudyCore

/// `offsite` in a group and `offsite_replica` in its shares.
@Suite struct ConfigurationValidatorOffsiteTests {
    static func text(offsite: String = "\"gamma\"", shareExtra: String = "") -> String {
        """
        cluster = "c"
        [nodes.alpha]
        address = "a:1"
        [nodes.beta]
        address = "b:1"
        [nodes.gamma]
        address = "g:1"
        [groups.g]
        primary = "alpha"
        standby = "beta"
        offsite = \(offsite)
        [[groups.g.shares]]
        name = "s"
        source = "/srv/s"
        replica = "/mirror/s"
        \(shareExtra)
        """
    }

    @Test func offsiteNode_andItsReplicaPath_areRead_defaultingToTheReplicasPath() throws {
        let configuration = try loadConfiguration(Self.text()).get()
        let group = try #require(configuration.groups["g"])
        #expect(group.offsite == "gamma")
        #expect(group.offsiteFeeder == "beta")
        #expect(group.shares.first?.offsiteReplica == "/mirror/s")
        #expect(configuration.groups(offsiteOf: "gamma").map(\.name) == ["g"])
        #expect(configuration.offsiteNodes(fedBy: "beta") == ["gamma"])
        #expect(configuration.offsiteNodes(fedBy: "alpha") == ["gamma"], "the primary, while the standby is away")
        #expect(configuration.offsiteNodes(fedBy: "gamma").isEmpty)
        let moved = try loadConfiguration(Self.text(shareExtra: "offsite_replica = \"/dr/s\"")).get()
        #expect(moved.groups["g"]?.shares.first?.offsiteReplica == "/dr/s")
        #expect(
            try loadConfiguration(Self.text().replacingOccurrences(of: "offsite = \"gamma\"", with: "")).get()
                .groups["g"]?.offsite == nil)
    }

    @Test func reports_offsiteThatIsNotANode_withSuggestion() {
        expectSingleConfigurationProblem(
            Self.text(offsite: "\"gamm\""), line: 11, code: .unknownNode,
            "offsite 'gamm' of group 'g' is not a node defined in [nodes]; did you mean 'gamma'?")
    }

    @Test func reports_offsiteThatIsThePrimaryOrTheStandby() {
        expectSingleConfigurationProblem(
            Self.text(offsite: "\"beta\""), line: 11, code: .sameNode,
            "group 'g' has 'beta' as its off-site node and as its standby; the off-site copy must be on a third node")
        expectSingleConfigurationProblem(
            Self.text(offsite: "\"alpha\""), line: 11, code: .sameNode, "and as its primary")
    }

    @Test func reports_offsiteThatIsNotAString() {
        expectSingleConfigurationProblem(Self.text(offsite: "3"), line: 11, code: .wrongType, "'offsite'")
    }

    @Test func reports_offsiteReplicaAtTheRoot_orRelative() {
        expectSingleConfigurationProblem(
            Self.text(shareExtra: "offsite_replica = \"/\""), line: 16, code: .invalidPath,
            "cannot be '/': the mirror would overwrite the off-site node's whole file system")
        expectSingleConfigurationProblem(
            Self.text(shareExtra: "offsite_replica = \"dr/s\""), line: 16, code: .invalidPath, "offsite_replica")
    }

    @Test func offsiteBandwidth_isReadWithItsSchedule() throws {
        let text = Self.text().replacingOccurrences(
            of: "offsite = \"gamma\"",
            with: """
                offsite = "gamma"
                offsite_bandwidth = "8Mbit/s"
                [[groups.g.offsite_bandwidth_schedule]]
                from = "22:00"
                to = "06:00"
                bandwidth = "unlimited"
                """)
        let group = try #require(try loadConfiguration(text).get().groups["g"])
        #expect(group.offsiteBandwidth.bytesPerSecond == 1_000_000)
        #expect(group.offsiteBandwidth.schedule.count == 1)
        #expect(group.bandwidth.isUnlimited, "the mirror from the holder keeps its own limit")
    }

    @Test func reports_offsiteBandwidth_withoutAnOffsiteNode() {
        let text = Self.text().replacingOccurrences(
            of: "offsite = \"gamma\"", with: "offsite_bandwidth = \"1MB/s\"")
        expectSingleConfigurationProblem(
            text, line: 11, code: .invalidBandwidth,
            "group 'g' sets how to reach its off-site node but has none; add offsite = \"NODE\"")
    }

    @Test func reports_badOffsiteBandwidth_byItsKey() {
        let text = Self.text().replacingOccurrences(
            of: "offsite = \"gamma\"", with: "offsite = \"gamma\"\noffsite_bandwidth = \"8Mbit\"")
        expectSingleConfigurationProblem(text, line: 12, code: .invalidBandwidth, "'offsite_bandwidth'")
    }

    @Test func offsiteCompression_defaultsToThree_andIsBounded() throws {
        #expect(try loadConfiguration(Self.text()).get().groups["g"]?.offsiteCompression == 3)
        let nine = Self.text().replacingOccurrences(
            of: "offsite = \"gamma\"", with: "offsite = \"gamma\"\noffsite_compression = 9")
        #expect(try loadConfiguration(nine).get().groups["g"]?.offsiteCompression == 9)
        let bad = Self.text().replacingOccurrences(
            of: "offsite = \"gamma\"", with: "offsite = \"gamma\"\noffsite_compression = 25")
        expectSingleConfigurationProblem(bad, line: 12, code: .invalidValue, "it must be from 1 to 19")
    }
}
