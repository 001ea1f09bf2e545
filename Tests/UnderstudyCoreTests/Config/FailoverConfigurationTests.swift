import Testing
import UnderstudyCore

/// The failover keys as a whole: a full configuration and the defaults. The bad input of each part is in
/// `ConfigurationValidator+HeartbeatTests` (heartbeat, links, isolation checks), `+TakeoverTests`, `+ChecksTests`
/// and `+NotifyTests`: each gives one `file:line: message` that names the key and says what to do, and no
/// configuration.
@Suite struct FailoverConfigurationTests {
    static let full = """
        cluster = "lab"

        [heartbeat]
        interval = "250ms"
        dead_time = "1500ms"
        isolation_time = "600ms"
        port = 7801

        [notify]
        repeat_after = "5m"

        [notify.email]
        server = "10.77.1.25"
        starttls = true
        ca_file = "/etc/understudy/smtp-ca.pem"
        username = "understudy"
        password_file = "/etc/understudy/./smtp-password"
        from = "understudy@lab.example"
        to = ["admin@lab.example", "oncall@lab.example"]

        [notify.webhook]
        url = "https://hooks.example/understudy"
        timeout = "5s"

        [notify.command]
        command = "/usr/local/bin/page-me --urgent"
        timeout = "1m"

        [nodes.alpha]
        address = "10.77.2.1:7700"
        [nodes.alpha.links]
        dedicated = "10.77.2.1"
        lan = "fd00:77::1"
        [nodes.alpha.isolation_check]
        type = "command"
        command = "ping -c1 -W1 10.77.1.10"
        fall = 3

        [nodes.beta]
        address = "10.77.2.2:7700"
        [nodes.beta.links]
        dedicated = "10.77.2.2"
        lan = "fd00:77::2"

        [groups.web]
        primary = "alpha"
        standby = "beta"
        failover = "manual"
        on_service_failure = "alert"
        service_address = "10.77.1.100/24"
        interface = { alpha = "eth0", beta = "ens3" }
        start = ["/etc/understudy/web-start", "systemctl start nginx"]
        stop = ["/etc/understudy/web-stop"]
        script_timeout = "45s"
        fence = "/usr/local/sbin/fence alpha"
        fence_timeout = "20s"
        announce_count = 3
        announce_interval = "100ms"
        announce_refresh = "30s"
        failback = "auto"
        failback_after = "90s"

        [[groups.web.shares]]
        name = "site"
        source = "/srv/www"

        [[groups.web.checks]]
        name = "web"
        type = "http"
        url = "http://10.77.1.100/"
        expect_status = 204
        expect_body = "lab-service"
        interval = "500ms"
        timeout = "400ms"
        rise = 3
        fall = 4

        [[groups.web.checks]]
        type = "https"
        url = "https://10.77.1.100/health"
        insecure = true

        [[groups.web.checks]]
        type = "tcp"
        target = "10.77.1.100:5432"

        [[groups.web.checks]]
        type = "file"
        path = "/mnt/web//.canary"
        expect_body = "ok"

        [[groups.web.checks]]
        name = "db.primary"
        type = "command"
        command = "pg_isready -h 10.77.1.100"
        """

    // MARK: - Valid

    @Test func loads_fullFailoverConfiguration() throws {
        let configuration = try loadConfiguration(Self.full).get()

        #expect(
            configuration.heartbeat
                == HeartbeatConfiguration(
                    interval: ConfigDuration(seconds: 0.25), deadTime: ConfigDuration(seconds: 1.5),
                    isolationTime: ConfigDuration(seconds: 0.6), port: 7801))

        #expect(configuration.notify.repeatAfter == ConfigDuration(seconds: 300))
        #expect(
            configuration.notify.email
                == EmailNotification(
                    server: PeerAddress(host: "10.77.1.25", port: 25), security: .starttls,
                    caFile: "/etc/understudy/smtp-ca.pem",
                    username: "understudy", passwordFile: "/etc/understudy/smtp-password",
                    from: "understudy@lab.example",
                    to: ["admin@lab.example", "oncall@lab.example"]))
        #expect(
            configuration.notify.webhook
                == WebhookNotification(url: "https://hooks.example/understudy", timeout: ConfigDuration(seconds: 5)))
        #expect(
            configuration.notify.command
                == CommandNotification(command: "/usr/local/bin/page-me --urgent", timeout: ConfigDuration(seconds: 60))
        )
        #expect(!configuration.notify.isEmpty)

        let alpha = try #require(configuration.nodes["alpha"])
        #expect(
            alpha.links == [
                NodeLink(name: "dedicated", address: "10.77.2.1"), NodeLink(name: "lan", address: "fd00:77::1"),
            ])
        #expect(
            alpha.isolationCheck
                == CheckConfiguration(name: "isolation", probe: .command("ping -c1 -W1 10.77.1.10"), fall: 3))
        let beta = try #require(configuration.nodes["beta"])
        #expect(beta.isolationCheck == nil)
        let common = alpha.commonLinks(with: beta)
        #expect(common.map(\.local.address) == ["10.77.2.1", "fd00:77::1"])
        #expect(common.map(\.remote.address) == ["10.77.2.2", "fd00:77::2"])

        let takeover = try #require(configuration.groups["web"]).takeover
        #expect(takeover.mode == .manual)
        #expect(takeover.serviceAddress == (try ServiceAddress.parse("10.77.1.100/24")))
        #expect(takeover.interfaces == ["alpha": "eth0", "beta": "ens3"])
        #expect(takeover.startScripts == ["/etc/understudy/web-start", "systemctl start nginx"])
        #expect(takeover.stopScripts == ["/etc/understudy/web-stop"])
        #expect(takeover.scriptTimeout == ConfigDuration(seconds: 45))
        #expect(takeover.fence == "/usr/local/sbin/fence alpha")
        #expect(takeover.fenceTimeout == ConfigDuration(seconds: 20))
        #expect(takeover.announceCount == 3)
        #expect(takeover.announceInterval == ConfigDuration(seconds: 0.1))
        #expect(takeover.announceRefresh == ConfigDuration(seconds: 30))
        #expect(takeover.failback == .auto)
        #expect(takeover.failbackAfter == ConfigDuration(seconds: 90))

        #expect(
            takeover.checks == [
                CheckConfiguration(
                    name: "web",
                    probe: .http(
                        url: "http://10.77.1.100/", expectStatus: 204, expectBody: "lab-service", insecure: false),
                    interval: ConfigDuration(seconds: 0.5), timeout: ConfigDuration(seconds: 0.4), rise: 3, fall: 4),
                CheckConfiguration(
                    name: "https-2",
                    probe: .http(url: "https://10.77.1.100/health", expectStatus: nil, expectBody: nil, insecure: true)),
                CheckConfiguration(name: "tcp-3", probe: .tcp(PeerAddress(host: "10.77.1.100", port: 5432))),
                CheckConfiguration(name: "file-4", probe: .file(path: "/mnt/web/.canary", expectBody: "ok")),
                CheckConfiguration(name: "db.primary", probe: .command("pg_isready -h 10.77.1.100")),
            ])
        #expect(takeover.checks.map(\.probe.typeName) == ["http", "https", "tcp", "file", "command"])
        #expect(
            takeover.checks.map(\.probe.target) == [
                "http://10.77.1.100/", "https://10.77.1.100/health", "10.77.1.100:5432", "/mnt/web/.canary",
                "pg_isready -h 10.77.1.100",
            ])
    }

    @Test func fills_failoverDefaults() throws {
        let configuration = try loadConfiguration(
            failoverCluster(
                group: "",
                tail: """
                    [[groups.web.checks]]
                    type = "tcp"
                    target = "[fd00:77::100]:80"
                    """)
        ).get()
        #expect(
            configuration.heartbeat
                == HeartbeatConfiguration(
                    interval: ConfigDuration(seconds: 0.2), deadTime: ConfigDuration(seconds: 1),
                    isolationTime: ConfigDuration(seconds: 0.5), port: 7701))
        #expect(configuration.notify == NotificationConfiguration())
        #expect(configuration.notify.repeatAfter == ConfigDuration(seconds: 600))
        #expect(configuration.notify.isEmpty)
        let takeover = try #require(configuration.groups["web"]).takeover
        #expect(takeover.mode == .auto)
        #expect(takeover.serviceAddress == nil)
        #expect(takeover.interfaces == [:])
        #expect(takeover.startScripts == [] && takeover.stopScripts == [])
        #expect(takeover.scriptTimeout == ConfigDuration(seconds: 30))
        #expect(takeover.fence == nil)
        #expect(takeover.fenceTimeout == ConfigDuration(seconds: 30))
        #expect(takeover.announceCount == 5)
        #expect(takeover.announceInterval == ConfigDuration(seconds: 0.2))
        #expect(takeover.announceRefresh == nil)
        #expect(takeover.failback == .manual)
        #expect(takeover.failbackAfter == ConfigDuration(seconds: 300))
        #expect(
            takeover.checks == [
                CheckConfiguration(
                    name: "tcp-1", probe: .tcp(PeerAddress(host: "fd00:77::100", port: 80)),
                    interval: ConfigDuration(seconds: 0.2), timeout: ConfigDuration(seconds: 0.3),
                    rise: 2, fall: 2)
            ])
    }

    @Test func isolationTime_defaultsToHalfTheDeadTime() throws {
        let configuration = try loadConfiguration(
            failoverCluster(
                heartbeat: """
                    [heartbeat]
                    interval = "1s"
                    dead_time = "5s"
                    """)
        ).get()
        #expect(configuration.heartbeat.isolationTime == ConfigDuration(seconds: 2.5))
        #expect(configuration.heartbeat.interval == ConfigDuration(seconds: 1))
        #expect(configuration.heartbeat.port == 7701)
    }

    @Test func deadTime_ofExactlyThreeIntervals_isAccepted() throws {
        let configuration = try loadConfiguration(
            failoverCluster(
                heartbeat: """
                    [heartbeat]
                    interval = "300ms"
                    dead_time = "900ms"
                    """)
        ).get()
        #expect(configuration.heartbeat.deadTime == ConfigDuration(seconds: 0.9))
    }

    @Test func singleInterfaceName_appliesToBothNodes_andAnnounceRefreshZeroIsOff() throws {
        let configuration = try loadConfiguration(
            failoverCluster(
                group: """
                    service_address = "fd00:77::100/64"
                    interface = "lan0"
                    announce_refresh = 0
                    """)
        ).get()
        let takeover = try #require(configuration.groups["web"]).takeover
        #expect(takeover.interfaces == ["alpha": "lan0", "beta": "lan0"])
        #expect(takeover.serviceAddress?.description == "fd00:77::100/64")
        #expect(takeover.announceRefresh == nil)
    }

    @Test func announceRefresh_underASecond_isRefused_asItWouldFloodTheLAN() {
        let problems = configurationProblems(
            failoverCluster(
                group: """
                    service_address = "10.0.0.100/24"
                    interface = "lan0"
                    announce_refresh = "1ms"
                    """))
        #expect(problems.count == 1)
        #expect(
            problems.first?.message.contains("'announce_refresh' in [groups.web] is 1ms, below the minimum of 1s")
                == true, "\(problems)")
    }

    @Test func aWitnessNode_needsToExist_beAThirdNode_andShareALinkWithEach() throws {
        let gamma = """
            [nodes.gamma]
            address = "10.77.1.3:7700"
            [nodes.gamma.links]
            lan = "10.77.1.3"
            """
        let lans = (alpha: "lan = \"10.77.1.1\"", beta: "lan = \"10.77.1.2\"")
        let configuration = try loadConfiguration(
            failoverCluster(alphaLinks: lans.alpha, betaLinks: lans.beta, group: "witness = \"gamma\"", tail: gamma)
        ).get()
        #expect(configuration.groups["web"]?.takeover.witness == .node("gamma"))
        #expect(configuration.groups(witnessedBy: "gamma").map(\.name) == ["web"])
        #expect(configuration.heartbeatPeers(of: "gamma") == ["alpha", "beta"])
        #expect(configuration.heartbeatPeers(of: "alpha") == ["beta", "gamma"])
        let unknown = configurationProblems(failoverCluster(group: "witness = \"omega\""))
        #expect(
            unknown.count == 1
                && unknown.first?.message.contains("the witness 'omega' of group 'web' is not a node") == true,
            "\(unknown)")
        let member = configurationProblems(failoverCluster(group: "witness = \"beta\""))
        #expect(member.first?.message.contains("the witness must be a third node") == true, "\(member)")
        let unlinked = configurationProblems(failoverCluster(group: "witness = \"gamma\"", tail: gamma))
        #expect(
            unlinked.count == 2 && unlinked.allSatisfy { $0.message.contains("has no link in common with") },
            "\(unlinked)")
    }

    @Test func aWitnessTarget_isACheckTable() throws {
        let configuration = try loadConfiguration(
            failoverCluster(
                group: """
                    [groups.web.witness]
                    type = "tcp"
                    target = "10.77.1.25:2525"
                    """)
        ).get()
        guard case .target(let check)? = configuration.groups["web"]?.takeover.witness else {
            Issue.record("no target witness")
            return
        }
        #expect(check.probe.target == "10.77.1.25:2525")
    }

    @Test func groupWithoutLinks_isAMirrorOnly() throws {
        let configuration = try loadConfiguration(
            """
            cluster = "c"
            [nodes.alpha]
            address = "a:1"
            [nodes.beta]
            address = "b:1"
            [groups.web]
            primary = "alpha"
            standby = "beta"
            failover = "manual"
            shares = [{ name = "s", source = "/s" }]
            """
        ).get()
        #expect(configuration.nodes["alpha"]?.links == [])
        #expect(configuration.groups["web"]?.takeover.mode == .manual)
    }

    @Test func emailServer_withPort_andWithoutLogin() throws {
        let configuration = try loadConfiguration(
            failoverCluster(
                tail: """
                    [notify.email]
                    server = "mail.lab.example:587"
                    from = "understudy@lab"
                    to = ["admin@lab"]
                    """)
        ).get()
        #expect(
            configuration.notify.email
                == EmailNotification(
                    server: PeerAddress(host: "mail.lab.example", port: 587), security: .none,
                    from: "understudy@lab", to: ["admin@lab"]))
        #expect(configuration.notify.webhook == nil)
    }

    // MARK: - Several at once

    @Test func reportsEveryProblem_eachAsFileLineMessage() {
        let text = failoverCluster(
            heartbeat: """
                [heartbeat]
                interval = "1s"
                dead_time = "2s"
                """,
            group: """
                on_service_failure = "switchover"
                interface = "eth0"
                """,
            tail: """
                [notify.webhook]
                url = "ftp://hooks.example/"
                """)
        guard case .failure(let problems) = loadConfiguration(text) else {
            Issue.record("a configuration with four problems loaded")
            return
        }
        let lines = problems.description.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(lines)")
        #expect(lines.allSatisfy { $0.hasPrefix("/etc/understudy/cluster.toml:") })
        #expect(
            lines.first
                == "/etc/understudy/cluster.toml:\(lineNumber(of: "dead_time =", in: text)): 'dead_time' in [heartbeat] is 2s, less than three intervals (1s each); one lost heartbeat would make a link look down. Raise dead_time or lower interval"
        )
        #expect(problems.problems.map(\.line) == problems.problems.map(\.line).sorted())
    }
}

// MARK: - Building configurations

/// alpha and beta with a `dedicated` link each, and group web (alpha → beta) with one share; the arguments are
/// inserted as whole lines: `heartbeat` before the nodes, `alphaLinks`/`betaLinks` after each node's dedicated
/// link (so a `[nodes.X.isolation_check]` table fits too), `group` into [groups.web], `tail` at the end.
func failoverCluster(
    heartbeat: String = "", alphaLinks: String = "", betaLinks: String = "", replaceBetaDedicated: String? = nil,
    group: String = "", tail: String = ""
) -> String {
    [
        "cluster = \"lab\"",
        heartbeat,
        "[nodes.alpha]",
        "address = \"10.77.2.1:7700\"",
        "[nodes.alpha.links]",
        "dedicated = \"10.77.2.1\"",
        alphaLinks,
        "[nodes.beta]",
        "address = \"10.77.2.2:7700\"",
        "[nodes.beta.links]",
        replaceBetaDedicated ?? "dedicated = \"10.77.2.2\"",
        betaLinks,
        "[groups.web]",
        "primary = \"alpha\"",
        "standby = \"beta\"",
        group,
        "[[groups.web.shares]]",
        "name = \"site\"",
        "source = \"/srv/www\"",
        tail,
    ].joined(separator: "\n")
}

/// The 1-based number of the first line of `text` that contains `marker`.
func lineNumber(of marker: String, in text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Int {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    guard let index = lines.firstIndex(where: { $0.contains(marker) }) else {
        Issue.record("no line contains \(marker)", sourceLocation: sourceLocation)
        return 0
    }
    return index + 1
}

/// Exactly one problem, on the first line containing `marker`, of kind `code`, whose message contains every
/// one of `messages`; and no configuration.
func expectRejected(
    _ text: String, at marker: String, _ code: ConfigurationProblem.Code, _ messages: String...,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let problems = configurationProblems(text)
    #expect(problems.count == 1, "\(problems)", sourceLocation: sourceLocation)
    guard let problem = problems.first else { return }
    #expect(
        problem.line == lineNumber(of: marker, in: text, sourceLocation: sourceLocation), "\(problem)",
        sourceLocation: sourceLocation)
    #expect(problem.code == code, "\(problem)", sourceLocation: sourceLocation)
    for message in messages {
        #expect(problem.message.contains(message), "\(problem)", sourceLocation: sourceLocation)
    }
    #expect(problem.file == "/etc/understudy/cluster.toml", sourceLocation: sourceLocation)
    #expect(
        problem.description == "/etc/understudy/cluster.toml:\(problem.line): \(problem.message)",
        sourceLocation: sourceLocation)
}
