import Testing
import UnderstudyCore

/// The takeover keys of `[groups.NAME]`: service address, interface, mode, scripts, fence, announcements, failback.
@Suite struct ConfigurationValidatorTakeoverTests {
    // MARK: - Service address and interface

    @Test func rejects_invalidServiceAddress() {
        let text = failoverCluster(
            group: """
                service_address = "10.77.1.300/24"
                interface = "eth0"
                """)
        expectRejected(
            text, at: "service_address =", .invalidAddress,
            "'service_address' in [groups.web]: \"10.77.1.300/24\" is not an IPv4 or IPv6 address with an optional /prefix"
        )
    }

    @Test func rejects_invalidServiceAddress_withoutInterface_sayingBoth() {
        let text = failoverCluster(group: "service_address = \"eth0\"")
        let problems = configurationProblems(text)
        #expect(problems.map(\.code) == [.invalidAddress, .missingKey], "\(problems)")
        #expect(problems.allSatisfy { $0.line == lineNumber(of: "service_address =", in: text) })
    }

    @Test func rejects_serviceAddress_withoutInterface() {
        expectRejected(
            failoverCluster(group: "service_address = \"10.77.1.100/24\""), at: "service_address =", .missingKey,
            "[groups.web] has a 'service_address' but no 'interface'; say which interface gets it, e.g. interface = \"eth0\" (or interface = { alpha = \"eth0\", beta = \"eth0\" })"
        )
    }

    @Test func rejects_interfaceTable_missingANode() {
        let text = failoverCluster(
            group: """
                service_address = "10.77.1.100/24"
                interface = { alpha = "eth0" }
                """)
        expectRejected(
            text, at: "interface =", .missingKey, "'interface' in [groups.web] names no interface for node 'beta'")
    }

    @Test func rejects_interfaceTable_namingANonMember() {
        let text = failoverCluster(
            group: """
                service_address = "10.77.1.100/24"
                interface = { alpha = "eth0", beta = "eth0", gamma = "eth1" }
                """)
        expectRejected(
            text, at: "interface =", .unknownNode,
            "'gamma' in 'interface' in [groups.web] is not a node of this group ('alpha', 'beta')")
    }

    @Test func rejects_interface_withoutServiceAddress() {
        expectRejected(
            failoverCluster(group: "interface = \"eth0\""), at: "interface =", .invalidValue,
            "'interface' in [groups.web] is set but there is no 'service_address' to put on it")
    }

    @Test func rejects_interfaceName_thatLinuxCannotHave() {
        let text = failoverCluster(
            group: """
                service_address = "10.77.1.100/24"
                interface = "a-very-long-interface-name"
                """)
        expectRejected(
            text, at: "interface =", .invalidValue,
            "'interface' in [groups.web] is 'a-very-long-interface-name', not an interface name (1 to 15 characters, no '/', ':' or spaces)"
        )
    }

    @Test func rejects_interface_ofTheWrongType() {
        let text = failoverCluster(
            group: """
                service_address = "10.77.1.100/24"
                interface = 0
                """)
        expectRejected(
            text, at: "interface =", .wrongType,
            "'interface' in [groups.web] must be an interface name like \"eth0\", or a table like { alpha = \"eth0\", beta = \"ens3\" }, not an integer"
        )
    }

    // MARK: - Takeover keys

    @Test func rejects_onServiceFailureSwitchover_notInThisVersion() {
        expectRejected(
            failoverCluster(group: "on_service_failure = \"switchover\""), at: "on_service_failure =", .invalidValue,
            "'on_service_failure' in [groups.web] is 'switchover', which is not in this version: a failing service is reported; use 'alert', and move the group with `understudy switchover GROUP`"
        )
    }

    @Test func rejects_unknownFailoverMode() {
        expectRejected(
            failoverCluster(group: "failover = \"automatic\""), at: "failover =", .invalidValue,
            "'failover' in [groups.web] is 'automatic'; it must be 'auto' or 'manual'")
    }

    @Test func rejects_startScripts_writtenAsAString() {
        expectRejected(
            failoverCluster(group: "start = \"/etc/understudy/web-start\""), at: "start =", .wrongType,
            "'start' in [groups.web] must be a list of command lines, like [\"/etc/understudy/web-start\"]")
    }

    @Test func rejects_emptyStopScript() {
        let text = failoverCluster(
            group: """
                stop = [
                  "/etc/understudy/web-stop",
                  "  ",
                ]
                """)
        expectRejected(
            text, at: "\"  \"", .invalidValue, "an element of 'stop' in [groups.web] is empty; give the command to run")
    }

    @Test func rejects_emptyFence() {
        expectRejected(
            failoverCluster(group: "fence = \"\""), at: "fence =", .invalidValue,
            "'fence' in [groups.web] is empty; give the command to run (it runs by /bin/sh -c)")
    }

    @Test func rejects_announceCount_outOfRange() {
        expectRejected(
            failoverCluster(group: "announce_count = 0"), at: "announce_count =", .invalidValue,
            "'announce_count' in [groups.web] is 0; it must be from 1 to 100")
    }

    @Test func rejects_unknownFailbackMode() {
        expectRejected(
            failoverCluster(group: "failback = \"automatic\""), at: "failback =", .invalidValue,
            "'failback' in [groups.web] is 'automatic'; it must be 'manual' or 'auto'")
    }

    @Test func rejects_failbackAfter_withoutAutomaticFailback() {
        expectRejected(
            failoverCluster(group: "failback_after = \"10m\""), at: "failback_after =", .invalidValue,
            "'failback_after' in [groups.web] is set but 'failback' is not \"auto\"; set failback = \"auto\" to hand the group back by itself, or remove it"
        )
    }

    @Test func rejects_failbackAfter_belowOneSecond() {
        let text = failoverCluster(
            group: """
                failback = "auto"
                failback_after = "500ms"
                """)
        expectRejected(
            text, at: "failback_after =", .invalidDuration,
            "'failback_after' in [groups.web] is 500ms, below the minimum of 1s")
    }

    @Test func rejects_misspeltTakeoverKey_withSuggestion() {
        expectRejected(
            failoverCluster(group: "fence_timout = \"10s\""), at: "fence_timout", .unknownKey,
            "unknown key 'fence_timout' in [groups.web]; did you mean 'fence_timeout'?")
    }
}
