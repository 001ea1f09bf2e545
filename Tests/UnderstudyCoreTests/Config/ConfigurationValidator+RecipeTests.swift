import Testing
import UnderstudyCore

/// `recipe` of a group: its parts fill what the group does not set, key by key.
@Suite struct ConfigurationValidatorRecipeTests {
    static func cluster(_ keys: String, address: Bool = true) -> String {
        """
        cluster = "office"
        [nodes.alpha]
        address = "10.0.0.1:7700"
        links = { lan = "10.0.0.1" }
        [nodes.beta]
        address = "10.0.0.2:7700"
        links = { lan = "10.0.0.2" }
        [groups.web]
        primary = "alpha"
        standby = "beta"
        \(address ? "service_address = \"10.0.0.100/24\"\ninterface = \"eth0\"" : "")
        \(keys)
        [[groups.web.shares]]
        name = "site"
        source = "/srv/www"
        """
    }

    @Test func aRecipe_fillsStartStopChecksAndPrivateDirectories() throws {
        let group = try loadConfiguration(Self.cluster("recipe = \"nginx\"")).get().groups["web"]!
        #expect(group.recipe == "nginx")
        #expect(group.takeover.startScripts == ["pgrep --ns $$ --nslist pid -x nginx >/dev/null || nginx"])
        #expect(group.takeover.stopScripts == ["nginx -s quit"])
        #expect(group.proof.privateDirectories == ["/var/log/nginx", "/var/lib/nginx"])
        #expect(group.proof.syntaxCheck == "nginx -t -q")
        let check = try #require(group.takeover.checks.first)
        #expect(group.takeover.checks.count == 1 && check.name == "page")
        #expect(
            check.probe
                == .http(
                    url: "http://10.0.0.100/understudy-canary.html", expectStatus: nil,
                    expectBody: "understudy canary of group web", insecure: false))
    }

    @Test func theGroupsOwnKeys_overrideTheRecipesKeyByKey() throws {
        let group = try loadConfiguration(
            Self.cluster(
                "recipe = \"samba\"\nstart = [\"/usr/local/bin/start-smb\"]\nproof_private = [\"/srv/state\"]\nsyntax_check = \"testparm -s /etc/samba/other.conf\""
            )
        ).get().groups["web"]!
        #expect(group.takeover.startScripts == ["/usr/local/bin/start-smb"])
        #expect(group.takeover.stopScripts == ["smbcontrol smbd shutdown || pkill --ns $$ --nslist pid -x smbd"])
        #expect(group.proof.privateDirectories == ["/srv/state"])
        #expect(group.proof.syntaxCheck == "testparm -s /etc/samba/other.conf")
        #expect(group.takeover.checks.map(\.probe.target).first?.contains("//10.0.0.100/site") == true)
    }

    @Test func refuses_anUnknownRecipe_andOneWithoutAnAddressForItsChecks() {
        expectSingleConfigurationProblem(
            Self.cluster("recipe = \"ngnix\""), line: 13, code: .invalidValue, "did you mean 'nginx'?")
        expectSingleConfigurationProblem(
            Self.cluster("recipe = \"apache\"", address: false), line: 12, code: .invalidValue, "set service_address")
        expectSingleConfigurationProblem(Self.cluster("recipe = 3"), line: 13, code: .wrongType, "recipe")
    }
}
