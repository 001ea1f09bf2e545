import Testing
import UnderstudyCore

/// `offsite_service_address`, `offsite_interface`, `offsite_start`, `offsite_stop`: what the off-site node takes a
/// group over with at the recovery site.
@Suite struct ConfigurationValidatorRecoverySiteTests {
    static func text(offsite: String = "offsite = \"gamma\"", _ keys: String) -> String {
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
        \(offsite)
        \(keys)
        [[groups.g.shares]]
        name = "s"
        source = "/srv/s"
        replica = "/mirror/s"
        """
    }

    @Test func recoverySiteKeys_areRead_andMakeTheGroupAsTheOffsiteNodeServesIt() throws {
        let configuration = try loadConfiguration(
            Self.text(
                """
                offsite_service_address = "10.9.0.100/24"
                offsite_interface = "wan0"
                offsite_start = ["systemctl start smbd"]
                offsite_stop = ["systemctl stop smbd"]
                """)
        ).get()
        let group = try #require(configuration.groups["g"])
        #expect(group.recoverySite.serviceAddress?.description == "10.9.0.100/24")
        #expect(group.recoverySite.interface == "wan0")
        #expect(group.members == ["alpha", "beta", "gamma"])
        let recovery = group.atRecoverySite
        #expect(recovery.takeover.serviceAddress?.description == "10.9.0.100/24")
        #expect(recovery.takeover.interfaces == ["gamma": "wan0"])
        #expect(recovery.takeover.startScripts == ["systemctl start smbd"])
        #expect(recovery.takeover.stopScripts == ["systemctl stop smbd"])
        #expect(recovery.takeover.mode == .manual)
        #expect(configuration.groups(withMember: "gamma").map(\.name) == ["g"])
    }

    @Test func withoutRecoverySiteKeys_theTakeoverThereMovesDataOnly() throws {
        let group = try #require(try loadConfiguration(Self.text("")).get().groups["g"])
        #expect(group.atRecoverySite.takeover.serviceAddress == nil)
        #expect(group.atRecoverySite.takeover.startScripts.isEmpty)
    }

    @Test func reports_recoverySiteKeysWithoutAnOffsiteNode() {
        expectSingleConfigurationProblem(
            Self.text(offsite: "", "offsite_start = [\"x\"]"), line: 12, code: .missingKey,
            "group 'g' says how its off-site node takes over (offsite_start) but has no off-site node")
    }

    @Test func reports_addressWithoutInterface_interfaceWithoutAddress_andBadValues() {
        expectSingleConfigurationProblem(
            Self.text("offsite_service_address = \"10.9.0.100/24\""), line: 12, code: .missingKey,
            "has an 'offsite_service_address' but no 'offsite_interface'")
        expectSingleConfigurationProblem(
            Self.text("offsite_interface = \"wan0\""), line: 12, code: .invalidValue,
            "is set but there is no 'offsite_service_address' to put on it")
        expectSingleConfigurationProblem(
            Self.text("offsite_service_address = \"10.9.0.300/24\"\noffsite_interface = \"wan0\""), line: 12,
            code: .invalidAddress, "'offsite_service_address'")
        expectSingleConfigurationProblem(
            Self.text("offsite_service_address = \"10.9.0.1/24\"\noffsite_interface = \"a b\""), line: 13,
            code: .invalidValue, "not an interface name")
        expectSingleConfigurationProblem(
            Self.text("offsite_start = \"run\""), line: 12, code: .wrongType,
            "must be a list of command lines, like [\"run\"]")
    }
}
