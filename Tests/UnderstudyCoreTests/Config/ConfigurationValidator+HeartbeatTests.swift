import Testing
import UnderstudyCore

/// `[heartbeat]`, `[nodes.NAME.links]`, `[nodes.NAME.isolation_check]` and the links a group's nodes share.
@Suite struct ConfigurationValidatorHeartbeatTests {
    // MARK: - [heartbeat]

    @Test func rejects_deadTime_belowThreeIntervals() {
        let text = failoverCluster(
            heartbeat: """
                [heartbeat]
                interval = "500ms"
                dead_time = "1400ms"
                """)
        expectRejected(
            text, at: "dead_time =", .invalidDuration,
            "'dead_time' in [heartbeat] is 1400ms, less than three intervals (500ms each)",
            "Raise dead_time or lower interval")
    }

    @Test func rejects_isolationTime_notShorterThanTheDeadTime() {
        let text = failoverCluster(
            heartbeat: """
                [heartbeat]
                dead_time = "2s"
                isolation_time = "2s"
                """)
        expectRejected(
            text, at: "isolation_time =", .invalidDuration,
            "'isolation_time' in [heartbeat] is 2s, not shorter than dead_time (2s)",
            "must give up its address before the standby takes it")
    }

    @Test func rejects_heartbeatPort_outOfRange() {
        let text = failoverCluster(
            heartbeat: """
                [heartbeat]
                port = 70000
                """)
        expectRejected(text, at: "port =", .invalidValue, "'port' in [heartbeat] is 70000; it must be from 1 to 65535")
    }

    @Test func rejects_heartbeat_thatIsNotATable() {
        expectRejected(
            failoverCluster(heartbeat: "heartbeat = \"1s\""), at: "heartbeat =", .wrongType,
            "'heartbeat' must be a table, like [heartbeat] with 'interval' and 'dead_time', not a string")
    }

    @Test func rejects_misspeltHeartbeatKey_withSuggestion() {
        let text = failoverCluster(
            heartbeat: """
                [heartbeat]
                dead_tme = "2s"
                """)
        expectRejected(
            text, at: "dead_tme", .unknownKey, "unknown key 'dead_tme' in [heartbeat]; did you mean 'dead_time'?")
    }

    // MARK: - Links and isolation checks

    @Test func rejects_linkAddress_thatIsAHostName() {
        expectRejected(
            failoverCluster(alphaLinks: "lan = \"alpha.lan.example\""), at: "lan = \"alpha", .invalidAddress,
            "link 'lan' in [nodes.alpha.links] is 'alpha.lan.example', not an IPv4 or IPv6 address",
            "links take addresses, not names")
    }

    @Test func rejects_linkAddress_withAPrefix() {
        expectRejected(
            failoverCluster(alphaLinks: "lan = \"10.77.1.1/24\""), at: "lan = ", .invalidAddress,
            "not an IPv4 or IPv6 address")
    }

    @Test func rejects_linkAddress_thatIsNotAString() {
        expectRejected(
            failoverCluster(alphaLinks: "lan = 10"), at: "lan = ", .wrongType,
            "link 'lan' in [nodes.alpha.links] must be an IP address as a string, like \"10.0.0.1\", or a table like { address = \"10.0.0.1\", mirror = false }, not an integer"
        )
    }

    @Test func aLinkAsATable_mayKeepTheMirrorOffIt() throws {
        let configuration = try loadConfiguration(
            failoverCluster(alphaLinks: "lan = { address = \"10.77.1.1\", mirror = false }")
        ).get()
        let lan = try #require(configuration.nodes["alpha"]?.links.first { $0.name == "lan" })
        #expect(lan.address == "10.77.1.1" && !lan.mirror)
        #expect(configuration.nodes["alpha"]?.links.first { $0.name == "dedicated" }?.mirror == true)
    }

    @Test func rejects_aLinkTable_withoutAnAddress_orWithAnUnknownKey_orAMirrorThatIsNotABoolean() {
        expectRejected(
            failoverCluster(alphaLinks: "lan = { mirror = false }"), at: "lan = ", .missingKey,
            "missing required key 'address' in [nodes.alpha.links.lan]")
        expectRejected(
            failoverCluster(alphaLinks: "lan = { address = \"10.77.1.1\", mirrors = false }"), at: "lan = ",
            .unknownKey,
            "unknown key 'mirrors' in [nodes.alpha.links.lan]; did you mean 'mirror'?")
        expectRejected(
            failoverCluster(alphaLinks: "lan = { address = \"10.77.1.1\", mirror = \"no\" }"), at: "lan = ", .wrongType,
            "'mirror' in [nodes.alpha.links.lan] must be true or false")
    }

    @Test func rejects_duplicateLinkAddresses_onOneNode() {
        let text = failoverCluster(alphaLinks: "lan = \"10.77.2.1\"")
        expectRejected(
            text, at: "lan = ", .conflict,
            "links 'lan' and 'dedicated' (line \(lineNumber(of: "dedicated = \"10.77.2.1\"", in: text))) of node 'alpha' have the same address 10.77.2.1",
            "each link is a separate path")
    }

    @Test func rejects_invalidLinkName() {
        expectRejected(
            failoverCluster(alphaLinks: "\"lan one\" = \"10.77.1.1\""), at: "lan one", .invalidName,
            "link name 'lan one' in [nodes.alpha.links] is invalid: use letters, digits, '-' and '_'")
    }

    @Test func rejects_links_thatAreNotATable() {
        let text = """
            cluster = "c"
            [nodes.alpha]
            address = "a:1"
            links = ["10.0.0.1"]
            """
        expectRejected(
            text, at: "links =", .wrongType,
            "'links' in [nodes.alpha] must be a table of link = \"address\", like [nodes.alpha.links]")
    }

    @Test func rejects_groupWhoseNodesShareNoLink() {
        let text = failoverCluster(betaLinks: "", replaceBetaDedicated: "cable = \"10.77.2.2\"")
        expectRejected(
            text, at: "[groups.web]", .invalidValue,
            "nodes 'alpha' and 'beta' of group 'web' have no link in common (alpha: dedicated; beta: cable)",
            "give both the same link names so heartbeats can flow")
    }

    @Test func rejects_takeoverKeys_inAGroupWithoutLinks() {
        let text = """
            cluster = "c"
            [nodes.alpha]
            address = "a:1"
            [nodes.beta]
            address = "b:1"
            [groups.web]
            primary = "alpha"
            standby = "beta"
            start = ["/usr/local/bin/start-web"]
            shares = [{ name = "s", source = "/s" }]
            """
        expectRejected(
            text, at: "[groups.web]", .invalidValue,
            "group 'web' sets takeover keys but its nodes have no links; add [nodes.alpha.links] and [nodes.beta.links] with the same link names"
        )
    }

    @Test func rejects_isolationCheck_withoutType() {
        let text = failoverCluster(
            alphaLinks: """
                [nodes.alpha.isolation_check]
                command = "ping -c1 10.77.1.10"
                """)
        expectRejected(
            text, at: "[nodes.alpha.isolation_check]", .missingKey,
            "missing required key 'type' in [nodes.alpha.isolation_check]; use one of 'tcp', 'http', 'https', 'file', 'command'"
        )
    }

    @Test func rejects_isolationCheck_thatIsNotATable() {
        let text = """
            cluster = "c"
            [nodes.alpha]
            address = "a:1"
            isolation_check = "ping -c1 10.77.1.10"
            """
        expectRejected(
            text, at: "isolation_check =", .wrongType,
            "'isolation_check' in [nodes.alpha] must be a table, like [nodes.alpha.isolation_check] with type = \"command\", not a string"
        )
    }
}
