import Testing
import UnderstudyCore

/// One test per rule about keys, types, names, addresses, groups and shares; rules across nodes
/// and groups are in ConfigurationValidator+ConflictsTests.
@Suite struct ConfigurationValidatorTests {
    // MARK: - Keys

    @Test func reports_unknownNodeKey_withSuggestion() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.alpha]
            address = "a:1"
            adress = "a:2"
            """, line: 4, code: .unknownKey, "unknown key 'adress' in [nodes.alpha]; did you mean 'address'?")
    }

    @Test func reports_unknownTopLevelTable_withSuggestion() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.alpha]
            address = "a:1"
            [group.web]
            primary = "alpha"
            """, line: 4, code: .unknownKey, "unknown key 'group' at the top level; did you mean 'groups'?")
    }

    @Test func reports_unknownKey_withoutCloseMatch_listingKnownKeys() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.alpha]
            address = "a:1"
            [groups.web]
            primary = "alpha"
            standby = "alpha2"
            priority = 5
            [[groups.web.shares]]
            name = "s"
            source = "/s"
            [nodes.alpha2]
            address = "b:1"
            """, line: 7, code: .unknownKey,
            "known keys are 'primary', 'standby', 'resync_interval', 'quiet_delay', 'max_delay', 'live', 'verify_interval', 'bandwidth', 'bandwidth_schedule', 'shares'"
        )
    }

    @Test func reports_unknownShareKey() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.a]
            address = "a:1"
            [nodes.b]
            address = "b:1"
            [groups.g]
            primary = "a"
            standby = "b"
            [[groups.g.shares]]
            name = "s"
            source = "/s"
            exlude = ["x"]
            """, line: 12, code: .unknownKey, "unknown key 'exlude' in [[groups.g.shares]]; did you mean 'exclude'?")
    }

    // MARK: - Types and required keys

    @Test func reports_wrongType_forAddress() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.alpha]
            address = 7700
            """, line: 3, code: .wrongType,
            "'address' in [nodes.alpha] must be a string like \"alpha.example.com:7700\", not an integer")
    }

    @Test func reports_wrongType_forPatternElement_atItsOwnLine() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.a]
            address = "a:1"
            [nodes.b]
            address = "b:1"
            [groups.g]
            primary = "a"
            standby = "b"
            [[groups.g.shares]]
            name = "s"
            source = "/s"
            exclude = [
              "*.tmp",
              42,
            ]
            """, line: 14, code: .wrongType,
            "each element of 'exclude' in [[groups.g.shares]] must be a string, not an integer")
    }

    @Test func reports_wrongType_forPatternsNotAnArray() {
        expectSingleConfigurationProblem(
            Self.oneShare(extra: "include = \"*.txt\""), line: 13, code: .wrongType,
            "'include' in [[groups.g.shares]] must be an array of strings")
    }

    @Test func reports_wrongType_forNodeThatIsNotATable() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes]
            alpha = "a:1"
            """, line: 3, code: .wrongType, "'alpha' in [nodes] must be a table, like [nodes.alpha]")
    }

    @Test func reports_wrongType_forSharesWrittenAsOneTable() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.a]
            address = "a:1"
            [nodes.b]
            address = "b:1"
            [groups.g]
            primary = "a"
            standby = "b"
            [groups.g.shares]
            name = "s"
            """, line: 9, code: .wrongType,
            "'shares' in [groups.g] must be an array of tables; write each share as [[groups.g.shares]]")
    }

    @Test func reports_missingCluster_atLineOne() {
        expectSingleConfigurationProblem(
            """
            # no cluster name
            [nodes.alpha]
            address = "a:1"
            """, line: 1, code: .missingKey, "missing required key 'cluster' at the top level")
    }

    @Test func reports_missingAddress_atTheNodeTableLine() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"

            [nodes.alpha]
            state_dir = "/var/lib/u"
            """, line: 3, code: .missingKey, "missing required key 'address' in [nodes.alpha]")
    }

    @Test func reports_missingStandby_atTheGroupTableLine() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.a]
            address = "a:1"
            [groups.g]
            primary = "a"
            [[groups.g.shares]]
            name = "s"
            source = "/s"
            """, line: 4, code: .missingKey, "missing required key 'standby' in [groups.g]")
    }

    @Test func reports_missingShareSource_atTheShareHeaderLine() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.a]
            address = "a:1"
            [nodes.b]
            address = "b:1"
            [groups.g]
            primary = "a"
            standby = "b"
            [[groups.g.shares]]
            name = "s"
            """, line: 9, code: .missingKey, "missing required key 'source' in [[groups.g.shares]]")
    }

    // MARK: - Names

    @Test func reports_invalidClusterName() {
        expectSingleConfigurationProblem(
            """
            cluster = "my.cluster"
            [nodes.a]
            address = "a:1"
            """, line: 1, code: .invalidName, "cluster name 'my.cluster' is invalid")
    }

    @Test func reports_noNodes_whenNodesAreMissing() {
        expectSingleConfigurationProblem("cluster = \"c\"\n", line: 1, code: .noNodes, "no nodes are defined")
    }

    @Test func reports_noNodes_atAnEmptyNodesTable() {
        expectSingleConfigurationProblem(
            "cluster = \"c\"\n\n[nodes]\n", line: 3, code: .noNodes, "no nodes are defined in [nodes]")
    }

    @Test func reports_invalidNodeName() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes."alpha one"]
            address = "a:1"
            """, line: 2, code: .invalidName, "node name 'alpha one' is invalid")
    }

    @Test func reports_nodeName_startingWithADot() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.".."]
            address = "a:1"
            """, line: 2, code: .invalidName, "node name '..' is invalid")
    }

    @Test func reports_invalidGroupName() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.a]
            address = "a:1"
            [nodes.b]
            address = "b:1"
            [groups."web/site"]
            primary = "a"
            standby = "b"
            [[groups."web/site".shares]]
            name = "s"
            source = "/s"
            """, line: 6, code: .invalidName, "group name 'web/site' is invalid")
    }

    @Test func reports_invalidShareName() {
        expectSingleConfigurationProblem(
            Self.oneShare(name: "my share"), line: 11, code: .invalidName, "share name 'my share' is invalid")
    }

    // MARK: - Addresses

    @Test func reports_badAddress_withReason() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.a]
            address = "alpha.example.com:0"
            """, line: 3, code: .invalidAddress,
            "invalid address 'alpha.example.com:0': port '0' is not a number from 1 to 65535")
    }

    @Test func reports_addressWithEmptyHost() {
        expectSingleConfigurationProblem(
            "cluster = \"c\"\n[nodes.a]\naddress = \":7700\"", line: 3, code: .invalidAddress, "the host is empty")
    }

    @Test func reports_unbracketedIPv6Address() {
        expectSingleConfigurationProblem(
            "cluster = \"c\"\n[nodes.a]\naddress = \"fe80::1:7700\"", line: 3, code: .invalidAddress,
            "must be in brackets")
    }

    // MARK: - Groups

    @Test func reports_primaryThatIsNotANode_withSuggestion() {
        expectSingleConfigurationProblem(
            Self.oneShare(primary: "alpah"), line: 7, code: .unknownNode,
            "primary 'alpah' of group 'g' is not a node defined in [nodes]; did you mean 'alpha'?")
    }

    @Test func reports_standbyThatIsNotANode_listingTheNodes() {
        expectSingleConfigurationProblem(
            Self.oneShare(standby: "gamma"), line: 8, code: .unknownNode, "the nodes are 'alpha', 'beta'")
    }

    @Test func reports_primaryAndStandby_beingTheSameNode() {
        expectSingleConfigurationProblem(
            Self.oneShare(standby: "alpha"), line: 8, code: .sameNode,
            "group 'g' has 'alpha' as both primary and standby")
    }

    @Test func reports_groupWithoutShares_atTheGroupLine() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.a]
            address = "a:1"
            [nodes.b]
            address = "b:1"
            [groups.g]
            primary = "a"
            standby = "b"
            """, line: 6, code: .noShares, "group 'g' has no shares; add a [[groups.g.shares]] table")
    }

    @Test func reports_groupWithEmptySharesArray() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.a]
            address = "a:1"
            [nodes.b]
            address = "b:1"
            [groups.g]
            primary = "a"
            standby = "b"
            shares = []
            """, line: 9, code: .noShares, "group 'g' has no shares")
    }

    @Test func reports_duplicateShareName_inAGroup() {
        expectSingleConfigurationProblem(
            Self.oneShare() + """

                [[groups.g.shares]]
                name = "s"
                source = "/other"
                """, line: 15, code: .duplicateShare, "share name 's' is used twice in group 'g' (first on line 11)")
    }

    @Test func reports_badDuration() {
        expectSingleConfigurationProblem(
            Self.oneShare(groupExtra: "resync_interval = \"5 minutes\""), line: 9, code: .invalidDuration,
            "invalid duration '5 minutes'")
    }

    @Test func reports_resyncIntervalBelowOneSecond() {
        expectSingleConfigurationProblem(
            Self.oneShare(groupExtra: "resync_interval = \"500ms\""), line: 9, code: .invalidDuration,
            "'resync_interval' in [groups.g] is 500ms, below the minimum of 1s")
    }

    @Test func reports_resyncInterval_ofWrongType() {
        expectSingleConfigurationProblem(
            Self.oneShare(groupExtra: "resync_interval = 1.5"), line: 9, code: .wrongType,
            "must be a duration like \"30s\"")
    }

    @Test func compareSlice_defaultsToAHundredThousand_andIsBounded() throws {
        #expect(try loadConfiguration(Self.oneShare()).get().groups["g"]?.compareSlice == 100_000)
        let set = try loadConfiguration(Self.oneShare(groupExtra: "compare_slice = 5000")).get()
        #expect(set.groups["g"]?.compareSlice == 5000)
        expectSingleConfigurationProblem(
            Self.oneShare(groupExtra: "compare_slice = 10"), line: 9, code: .invalidValue,
            "it must be from 1000 to 10000000")
        expectSingleConfigurationProblem(
            Self.oneShare(groupExtra: "compare_slice = \"big\""), line: 9, code: .wrongType, "'compare_slice'")
    }

    @Test func accepts_resyncInterval_inWholeSeconds() throws {
        let configuration = try loadConfiguration(Self.oneShare(groupExtra: "resync_interval = 90")).get()
        #expect(configuration.groups["g"]?.resyncInterval == ConfigDuration(seconds: 90))
    }

    @Test func accepts_quietAndMaxDelay() throws {
        let configuration = try loadConfiguration(
            Self.oneShare(groupExtra: "quiet_delay = \"0ms\"\nmax_delay = \"2s\"")
        ).get()
        #expect(configuration.groups["g"]?.quietDelay == ConfigDuration(seconds: 0))
        #expect(configuration.groups["g"]?.maxDelay == ConfigDuration(seconds: 2))
    }

    @Test func aQuietDelayLongerThanTheDefaultMaxDelay_raisesIt_whenMaxDelayIsNotGiven() throws {
        let configuration = try loadConfiguration(Self.oneShare(groupExtra: "quiet_delay = \"50ms\"")).get()
        #expect(configuration.groups["g"]?.quietDelay == ConfigDuration(seconds: 0.05))
        #expect(configuration.groups["g"]?.maxDelay == ConfigDuration(seconds: 0.05))
    }

    @Test func reports_maxDelayShorterThanQuietDelay() {
        expectSingleConfigurationProblem(
            Self.oneShare(groupExtra: "quiet_delay = \"50ms\"\nmax_delay = \"20ms\""), line: 10, code: .invalidDuration,
            "'max_delay' in [groups.g] is 20ms, shorter than quiet_delay (50ms)")
    }

    @Test func accepts_bandwidthWithASchedule() throws {
        let text =
            Self.oneShare(groupExtra: "bandwidth = \"20MB/s\"") + """

                [[groups.g.bandwidth_schedule]]
                days = ["mon", "tue", "wed", "thu", "fri"]
                from = "08:00"
                to = "18:00"
                bandwidth = "2MB/s"
                """
        let limit = try #require(try loadConfiguration(text).get().groups["g"]?.bandwidth)
        #expect(limit.bytesPerSecond == 20_000_000)
        #expect(
            limit.schedule == [
                BandwidthLimit.Window(
                    days: [1, 2, 3, 4, 5], fromMinute: 480, toMinute: 1080, bytesPerSecond: 2_000_000)
            ])
    }

    @Test func reports_badBandwidth_andBadScheduleWindow_withTheirLines() throws {
        expectSingleConfigurationProblem(
            Self.oneShare(groupExtra: "bandwidth = \"20MB\""), line: 9, code: .invalidBandwidth,
            "invalid bandwidth '20MB': it does not end in /s")
        let text =
            Self.oneShare() + """

                [[groups.g.bandwidth_schedule]]
                days = ["mon", "funday"]
                from = "8am"
                to = "18:00"
                bandwidth = "2MB/s"
                """
        let problems = configurationProblems(text)
        #expect(problems.map(\.code) == [.invalidBandwidth, .invalidBandwidth])
        #expect(problems.first?.message.contains("'funday' in 'days'") == true)
        #expect(problems.last?.message.contains("'8am', not a time like \"08:00\"") == true)
    }

    @Test func live_defaultsToTrue_andRefusesANonBoolean() throws {
        #expect(try loadConfiguration(Self.oneShare()).get().groups["g"]?.live == true)
        #expect(try loadConfiguration(Self.oneShare(groupExtra: "live = false")).get().groups["g"]?.live == false)
        expectSingleConfigurationProblem(
            Self.oneShare(groupExtra: "live = \"no\""), line: 9, code: .wrongType, "must be true or false")
    }

    @Test func changeCapture_defaultsToAuto_takesEachMethod_andRefusesAnOther() throws {
        let node = { (extra: String) in
            """
            cluster = "c"
            [nodes.a]
            address = "a:1"
            \(extra)
            """
        }
        #expect(try loadConfiguration(node("")).get().nodes["a"]?.changeCapture == .auto)
        for method in ChangeCaptureMethod.allCases {
            let text = node("change_capture = \"\(method.rawValue)\"")
            #expect(try loadConfiguration(text).get().nodes["a"]?.changeCapture == method)
        }
        expectSingleConfigurationProblem(
            node("change_capture = \"polling\""), line: 4, code: .invalidValue,
            "'change_capture' in [nodes.a] is 'polling'; it must be 'auto' or 'fanotify' or 'inotify'")
        expectSingleConfigurationProblem(
            node("change_capture = true"), line: 4, code: .wrongType, "\"auto\" or \"fanotify\" or \"inotify\"")
    }

    @Test func reports_quietDelayAboveItsMaximum() {
        expectSingleConfigurationProblem(
            Self.oneShare(groupExtra: "quiet_delay = \"1m\""), line: 9, code: .invalidDuration,
            "'quiet_delay' in [groups.g] is 1m, above the maximum of 10s")
    }

    // MARK: - Paths and patterns

    @Test func reports_relativeSource() {
        expectSingleConfigurationProblem(
            Self.oneShare(source: "srv/www"), line: 12, code: .invalidPath,
            "'source' in [[groups.g.shares]] must be an absolute path (starting with '/'), not 'srv/www'")
    }

    @Test func reports_relativeReplica() {
        expectSingleConfigurationProblem(
            Self.oneShare(extra: "replica = \"mirror\""), line: 13, code: .invalidPath,
            "'replica' in [[groups.g.shares]] must be an absolute path")
    }

    @Test func reports_relativeStateDir() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.a]
            address = "a:1"
            state_dir = "state"
            """, line: 4, code: .invalidPath, "'state_dir' in [nodes.a] must be an absolute path")
    }

    @Test func reports_relativeControlSocket() {
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.a]
            address = "a:1"
            control_socket = "u.sock"
            """, line: 4, code: .invalidPath, "'control_socket' in [nodes.a] must be an absolute path")
    }

    @Test func reports_parentComponentInPath() {
        expectSingleConfigurationProblem(
            Self.oneShare(source: "/srv/../etc"), line: 12, code: .invalidPath,
            "must not contain '..' components: '/srv/../etc'")
    }

    @Test func reports_replicaAtTheRoot() {
        expectSingleConfigurationProblem(
            Self.oneShare(extra: "replica = \"/\""), line: 13, code: .invalidPath,
            "'replica' in [[groups.g.shares]] cannot be '/'")
    }

    @Test func reports_controlSocketPath_longerThanUnixSocketsAllow() {
        let longDirectory = "/var/lib/" + String(repeating: "x", count: 100)
        expectSingleConfigurationProblem(
            """
            cluster = "c"
            [nodes.a]
            address = "a:1"
            state_dir = "\(longDirectory)"
            """, line: 4, code: .invalidPath, "Unix socket paths are limited to 103 bytes")
    }

    @Test func reports_badGlobPattern_withPatternAndReason_atItsLine() {
        expectSingleConfigurationProblem(
            Self.oneShare(
                extra: """
                    include = [
                      "*.html",
                      "[abc",
                    ]
                    """), line: 15, code: .invalidPattern,
            "invalid pattern '[abc' in 'include' of share 's': '[' is not closed by ']'")
    }

    @Test func reports_everyBadPattern_notJustTheFirst() {
        let problems = configurationProblems(Self.oneShare(extra: "exclude = [\"a**\", \"../x\"]"))
        #expect(problems.map(\.code) == [.invalidPattern, .invalidPattern])
        #expect(problems.map(\.line) == [13, 13])
    }

    // MARK: - Fixture

    /// A valid two-node configuration with one group "g" and one share "s"; lines:
    /// 7 primary, 8 standby, 9 groupExtra, 10 share header, 11 name, 12 source, 13 extra.
    static func oneShare(
        primary: String = "alpha",
        standby: String = "beta",
        groupExtra: String = "",
        name: String = "s",
        source: String = "/srv/s",
        extra: String = ""
    ) -> String {
        """
        cluster = "c"
        [nodes.alpha]
        address = "alpha.example.com:7700"
        [nodes.beta]
        address = "beta.example.com:7700"
        [groups.g]
        primary = "\(primary)"
        standby = "\(standby)"
        \(groupExtra)
        [[groups.g.shares]]
        name = "\(name)"
        source = "\(source)"
        \(extra)
        """
    }
}

struct NodeNameCertificateClashTests {
    @Test(arguments: ["ca", "alpha-key"])
    func refuses_nodeNameThatClashesWithCertificateFiles(name: String) {
        let text = """
            cluster = "office"
            [nodes.\(name)]
            address = "127.0.0.1:7700"
            """
        guard case .failure(let problems) = ConfigurationLoader.load(text: text, path: "u.toml") else {
            Issue.record("accepted node name \(name)")
            return
        }
        #expect(problems.description.contains("u.toml:2: node name '\(name)' is invalid"), "\(problems)")
    }
}
