import Testing
import UnderstudyCore

/// `config_files` and `config_substitutions` of a group: the tracked configuration.
@Suite struct ConfigurationValidatorTrackedTests {
    static func cluster(_ keys: String) -> String {
        """
        cluster = "office"
        [nodes.alpha]
        address = "10.0.0.1:7700"
        links = { lan = "10.0.0.1" }
        [nodes.beta]
        address = "10.0.0.2:7700"
        links = { lan = "10.0.0.2" }
        [nodes.gamma]
        address = "10.0.0.3:7700"
        links = { lan = "10.0.0.3" }
        [groups.files]
        primary = "alpha"
        standby = "beta"
        \(keys)
        [[groups.files.shares]]
        name = "data"
        source = "/srv/data"
        """
    }

    @Test func reads_filesNormalized_andEachNodesSubstitutions() throws {
        let proof = try loadConfiguration(
            Self.cluster(
                """
                config_files = ["/etc/app//app.conf", "/etc/app/sites/", "/etc/app/app.conf"]
                [groups.files.config_substitutions.beta]
                "alpha.lan" = "beta.lan"
                eth0 = "ens3"
                """)
        ).get().groups["files"]!.proof
        #expect(proof.configFiles == ["/etc/app/app.conf", "/etc/app/sites"])
        #expect(
            proof.substitutions["beta"]
                == [
                    ConfigSubstitution(text: "alpha.lan", replacement: "beta.lan"),
                    ConfigSubstitution(text: "eth0", replacement: "ens3"),
                ])
    }

    @Test func tracks_listedFiles_andFilesDirectlyInListedDirectories_only() {
        let proof = ProofConfiguration(configFiles: ["/etc/app/app.conf", "/etc/app/sites"])
        #expect(proof.tracks("/etc/app/app.conf") && proof.tracks("/etc/app/sites/one.conf"))
        for path in [
            "/etc/shadow", "/etc/app/other.conf", "/etc/app/sites/deeper/x.conf", "/etc/app/sites/../../shadow",
            "etc/app/app.conf", "/etc/app/sites/", "/etc/app//sites/x.conf",
            "/etc/app/sites/./x.conf", "/etc/app/sites/x\0.conf",
        ] {
            #expect(!proof.tracks(path), "\(path)")
        }
    }

    @Test func aRecipe_fillsItsFiles_unlessTheGroupListsItsOwn() throws {
        let recipe = """
            recipe = "nginx"
            service_address = "10.0.0.9/24"
            interface = "eth0"
            """
        let withRecipe = try loadConfiguration(Self.cluster(recipe)).get().groups["files"]!.proof
        #expect(withRecipe.configFiles == ["/etc/nginx/nginx.conf", "/etc/nginx/sites-enabled"])
        let own = try loadConfiguration(Self.cluster(recipe + "\nconfig_files = []")).get().groups["files"]!.proof
        #expect(own.configFiles.isEmpty)
    }

    @Test func refuses_unusablePaths() {
        for (path, reason) in [
            ("etc/app.conf", "not an absolute path"), ("/", "the root directory"), ("/etc/../shadow", "'..'"),
            ("/proc/cpuinfo", "under /proc"), ("/app.conf", "directly in /"), ("/run/app.pid", "under /run"),
        ] {
            expectSingleConfigurationProblem(
                Self.cluster("config_files = [\"\(path)\"]"), line: 14, code: .invalidPath, reason)
        }
        expectSingleConfigurationProblem(
            Self.cluster("config_files = \"/etc/app.conf\""), line: 14, code: .wrongType, "array of strings")
    }

    @Test func refuses_substitutionsForNodesThatPutNothingInPlace_andBadPairs() {
        expectSingleConfigurationProblem(
            Self.cluster("[groups.files.config_substitutions.alpha]\n\"a\" = \"b\""), line: 14, code: .unknownNode,
            "is the group's primary")
        expectSingleConfigurationProblem(
            Self.cluster("[groups.files.config_substitutions.gamma]\n\"a\" = \"b\""), line: 14, code: .unknownNode,
            "not the group's standby or off-site node")
        expectSingleConfigurationProblem(
            Self.cluster("[groups.files.config_substitutions.beta]\n\"a\" = 3"), line: 15, code: .wrongType,
            "must be a string")
        expectSingleConfigurationProblem(
            Self.cluster("[groups.files.config_substitutions.beta]\n\"\" = \"b\""), line: 15, code: .wrongType,
            "would replace nothing")
        expectSingleConfigurationProblem(
            Self.cluster("config_substitutions = \"beta\""), line: 14, code: .wrongType, "must be a table")
        expectSingleConfigurationProblem(
            Self.cluster("config_substitutions = { beta = \"x\" }"), line: 14, code: .wrongType,
            "must be a table of")
    }

    @Test func refuses_aFileTrackedByTwoGroupsOnOneNode_andAFileInAShare() {
        let two =
            Self.cluster("config_files = [\"/etc/samba/smb.conf\"]") + """

                [groups.more]
                primary = "gamma"
                standby = "beta"
                config_files = ["/etc/samba/smb.conf"]
                [[groups.more.shares]]
                name = "more"
                source = "/srv/more"
                replica = "/srv/replica-more"
                """
        expectSingleConfigurationProblem(two, line: 18, code: .conflict, "both track '/etc/samba/smb.conf'")
        expectSingleConfigurationProblem(
            Self.cluster("config_files = [\"/srv/data/app.conf\"]"), line: 11, code: .conflict,
            "overlaps '/srv/data'")
    }
}
