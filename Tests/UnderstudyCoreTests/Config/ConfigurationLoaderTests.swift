import Testing
import UnderstudyCore

@Suite struct ConfigurationLoaderTests {
    static let twoNodesOnOneMachine = """
        # Two nodes on one machine, for trying understudy out.
        cluster = "lab-1"
        certificates = "pki"

        [nodes.alpha]
        address = "127.0.0.1:7701"
        state_dir = "/var/lib/understudy/alpha"

        [nodes.beta]
        address = "127.0.0.1:7702"
        state_dir = "/var/lib/understudy/beta/"
        control_socket = "/run/understudy-beta.sock"

        [groups.web]
        primary = "alpha"
        standby = "beta"
        resync_interval = "5m"

        [[groups.web.shares]]
        name = "site"
        source = "/srv/www"
        replica = "/srv/replica/www"
        include = ["*.html", "assets/"]
        exclude = [
          "*.tmp",
          "/cache/",
        ]

        [[groups.web.shares]]
        name = "conf"
        source = "/etc/nginx"
        replica = "/srv/replica/nginx"

        [groups.mail]
        primary = "beta"
        standby = "alpha"
        shares = [{ name = "spool", source = "/var/spool/mail", replica = "/srv/replica-of-beta/mail" }]
        """

    @Test func loads_fullTwoNodeConfiguration() throws {
        let configuration = try loadConfiguration(Self.twoNodesOnOneMachine).get()
        #expect(configuration.cluster == "lab-1")
        #expect(configuration.certificatesDirectory == "/etc/understudy/pki")
        #expect(configuration.sourcePath == "/etc/understudy/cluster.toml")
        #expect(configuration.nodes.count == 2)
        #expect(
            configuration.nodes["alpha"]
                == NodeConfiguration(
                    name: "alpha",
                    address: PeerAddress(host: "127.0.0.1", port: 7701),
                    stateDirectory: "/var/lib/understudy/alpha",
                    controlSocket: "/var/lib/understudy/alpha/control.sock"
                ))
        #expect(configuration.nodes["beta"]?.stateDirectory == "/var/lib/understudy/beta")
        #expect(configuration.nodes["beta"]?.controlSocket == "/run/understudy-beta.sock")

        let web = try #require(configuration.groups["web"])
        #expect(web.primary == "alpha")
        #expect(web.standby == "beta")
        #expect(web.resyncInterval == ConfigDuration(seconds: 300))
        #expect(web.shares.map(\.name) == ["site", "conf"])
        let site = web.shares[0]
        #expect(site.source == "/srv/www")
        #expect(site.replica == "/srv/replica/www")
        #expect(site.include == ["*.html", "assets/"])
        #expect(site.exclude == ["*.tmp", "/cache/"])
        #expect(site.filter == (try PathFilter(include: ["*.html", "assets/"], exclude: ["*.tmp", "/cache/"])))
        #expect(site.filter.isExcluded("cache/x.html", isDirectory: false))
        #expect(site.filter.isIncluded("assets/logo.png"))

        let mail = try #require(configuration.groups["mail"])
        #expect(mail.primary == "beta")
        #expect(mail.shares.first?.replica == "/srv/replica-of-beta/mail")
    }

    @Test func fills_defaults() throws {
        let configuration = try loadConfiguration(
            """
            cluster = "c"
            [nodes.alpha]
            address = "alpha.example.com:7700"
            [nodes.beta]
            address = "beta.example.com:7700"
            [groups.files]
            primary = "alpha"
            standby = "beta"
            [[groups.files.shares]]
            name = "data"
            source = "/srv/data/"
            """
        ).get()
        #expect(configuration.certificatesDirectory == "/etc/understudy/certs")
        let alpha = try #require(configuration.nodes["alpha"])
        #expect(alpha.stateDirectory == "/var/lib/understudy")
        #expect(alpha.controlSocket == "/var/lib/understudy/control.sock")
        let group = try #require(configuration.groups["files"])
        #expect(group.resyncInterval == ConfigDuration(seconds: 600))
        #expect(group.quietDelay == ConfigDuration(seconds: 0.01))
        #expect(group.maxDelay == ConfigDuration(seconds: 0.02))
        let share = try #require(group.shares.first)
        #expect(share.source == "/srv/data")
        #expect(share.replica == "/srv/data", "the replica defaults to the source")
        #expect(share.include.isEmpty && share.exclude.isEmpty)
        #expect(share.filter == PathFilter())
    }

    @Test func loads_nodesWithoutGroups() throws {
        let configuration = try loadConfiguration("cluster = \"c\"\n[nodes.alpha]\naddress = \"a:1\"").get()
        #expect(configuration.groups.isEmpty)
        #expect(configuration.groups(whereNode: "alpha").isEmpty)
    }

    @Test(
        arguments: [
            ("/etc/understudy/cluster.toml", nil, "/etc/understudy/certs"),
            ("/etc/understudy/cluster.toml", "pki/./ca", "/etc/understudy/pki/ca"),
            ("/etc/understudy/conf.d/cluster.toml", "../certs", "/etc/understudy/certs"),
            ("/etc/understudy/cluster.toml", "/opt/certs/", "/opt/certs"),
            ("cluster.toml", nil, "certs"),
        ] as [(String, String?, String)])
    func resolves_certificatesDirectory_againstTheConfigurationFile(
        path: String, value: String?, expected: String
    ) throws {
        var text = "cluster = \"c\"\n"
        if let value { text += "certificates = \"\(value)\"\n" }
        text += "[nodes.alpha]\naddress = \"a:1\"\n"
        let configuration = try ConfigurationLoader.load(text: text, path: path).get()
        #expect(configuration.certificatesDirectory == expected)
    }

    @Test func lists_groupsOfANode_sortedByName() throws {
        let configuration = try loadConfiguration(Self.twoNodesOnOneMachine).get()
        #expect(configuration.groups(whereNode: "alpha").map(\.name) == ["mail", "web"])
        #expect(configuration.groups(whereNode: "beta").map(\.name) == ["mail", "web"])
        #expect(configuration.groups(whereNode: "gamma").isEmpty)
    }

    @Test func reports_syntaxError_asTheOnlyProblem() {
        expectSingleConfigurationProblem(
            "cluster = \"c\"\n[nodes.alpha]\naddress \"a:1\"", line: 3, code: .syntax,
            "expected '=' after key 'address'")
    }

    @Test func collects_everyProblem_sortedByLine_asFileLineMessage() throws {
        let result = loadConfiguration(
            """
            cluster = "bad name"
            [nodes.alpha]
            adress = "a:1"
            [groups.web]
            primary = "alpha"
            standby = "alpha"
            resync_interval = "0.5s"
            """)
        guard case .failure(let problems) = result else {
            Issue.record("expected problems")
            return
        }
        #expect(problems.problems.map(\.line) == [1, 2, 3, 4, 6, 7])
        #expect(
            problems.problems.map(\.code) == [
                .invalidName, .missingKey, .unknownKey, .noShares, .sameNode, .invalidDuration,
            ])
        let lines = problems.description.split(separator: "\n")
        #expect(lines.count == 6)
        #expect(
            lines[2] == "/etc/understudy/cluster.toml:3: unknown key 'adress' in [nodes.alpha]; did you mean 'address'?"
        )
    }
}

@Suite struct ConfigurationLoaderRobustnessTests {
    /// Mutated files (bytes deleted, duplicated or replaced, deterministic) must never crash the
    /// loader, and every problem must point at a line of the file.
    @Test func neverCrashes_onMutatedFiles_andPointsInsideTheFile() {
        let original = Array(ConfigurationLoaderTests.twoNodesOnOneMachine.utf8)
        let replacements = Array("\"'[]{}=.,#\\\n \u{E9}0x_-:*".utf8)
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        var failures = 0
        for _ in 0..<1500 {
            var bytes = original
            for _ in 0..<(1 + next(3)) {
                let index = next(bytes.count)
                switch next(3) {
                case 0: bytes.remove(at: index)
                case 1: bytes.insert(bytes[index], at: index)
                default: bytes[index] = replacements[next(replacements.count)]
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
            if case .failure(let problems) = loadConfiguration(text) {
                failures += 1
                #expect(!problems.problems.isEmpty)
                for problem in problems.problems {
                    #expect((1...lineCount).contains(problem.line), "\(problem) in:\n\(text)")
                }
            }
        }
        #expect(failures > 500, "most mutations should break something")
    }
}

/// The two TOML examples of docs/configuration.md, copied verbatim: they must stay valid.
@Suite struct DocumentedExamplesTests {
    @Test(arguments: [0, 1])
    func loads_documentedExample(index: Int) throws {
        let examples = [
            """
            # /etc/understudy/understudy.toml
            cluster = "lab"
            certificates = "certs"              # → /etc/understudy/certs

            [nodes.alpha]
            address = "127.0.0.1:7701"
            state_dir = "/var/lib/understudy/alpha"
            # control_socket defaults to /var/lib/understudy/alpha/control.sock

            [nodes.beta]
            address = "127.0.0.1:7702"
            state_dir = "/var/lib/understudy/beta"

            [groups.web]
            primary = "alpha"
            standby = "beta"
            resync_interval = "5m"

            [[groups.web.shares]]
            name = "site"
            source = "/srv/www"
            replica = "/srv/replicas/www"       # required here: the default (= source) would overwrite the source
            exclude = [
              "*.tmp",
              "/cache/",
              "**/node_modules/",
            ]

            [[groups.web.shares]]
            name = "config"
            source = "/etc/nginx"
            replica = "/srv/replicas/nginx"
            include = ["*.conf", "sites-enabled/"]
            """,
            """
            cluster = "office"

            [nodes.files1]
            address = "files1.example.com:7700"

            [nodes.files2]
            address = "files2.example.com:7700"

            [groups.files]
            primary = "files1"
            standby = "files2"

            [[groups.files.shares]]
            name = "home"
            source = "/home"
            exclude = ["*.tmp", ".cache/"]
            """,
        ]
        let configuration = try loadConfiguration(examples[index]).get()
        #expect(configuration.groups.count == 1)
    }
}
