import Testing
import UnderstudyCore

/// `[console]` and each node's `console`: where the HTTPS API, the web console, the probes and `/metrics` listen.
@Suite struct ConfigurationValidatorConsoleTests {
    /// Two nodes on two machines (on one, loopback, when `betaHost` is 127.0.0.1), one group; `console` is put before the
    /// nodes, `alpha` and `beta` in their tables.
    private func cluster(
        console: String = "", alpha: String = "", beta: String = "", betaHost: String = "10.0.0.2"
    )
        -> String
    {
        """
        cluster = "shop"
        \(console)

        [nodes.alpha]
        address = "\(betaHost == "127.0.0.1" ? "127.0.0.1" : "10.0.0.1"):7700"
        state_dir = "/var/lib/understudy-alpha"
        \(alpha)

        [nodes.beta]
        address = "\(betaHost):7701"
        state_dir = "/var/lib/understudy-beta"
        \(beta)

        [groups.files]
        primary = "alpha"
        standby = "beta"

        [[groups.files.shares]]
        name = "data"
        source = "/srv/data"
        replica = "/srv/replica"
        """
    }

    private func line(of fragment: String, in text: String) -> Int {
        (text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(fragment) } ?? -1) + 1
    }

    @Test func consoleIsOff_unlessListenIsSet() throws {
        let configuration = try loadConfiguration(cluster()).get()
        #expect(configuration.consoleAddress(of: "alpha") == nil)
        #expect(configuration.console == ConsoleConfiguration())
    }

    @Test func listen_appliesToEveryNode_andANodesOwnConsoleWins() throws {
        let text = cluster(
            console: "[console]\nlisten = \"0.0.0.0:8443\"", beta: "console = \"[::1]:9443\"")
        let configuration = try loadConfiguration(text).get()
        #expect(configuration.consoleAddress(of: "alpha") == PeerAddress(host: "0.0.0.0", port: 8443))
        #expect(configuration.consoleAddress(of: "beta") == PeerAddress(host: "::1", port: 9443))
        #expect(configuration.console.certificate == nil)
    }

    @Test func certificateAndKey_resolveBesideTheConfiguration() throws {
        let text = cluster(
            console:
                "[console]\nlisten = \"0.0.0.0:8443\"\ncertificate = \"tls/console.pem\"\nkey = \"/etc/ssl/console.key\""
        )
        let configuration = try loadConfiguration(text).get()
        #expect(configuration.console.certificate == "/etc/understudy/tls/console.pem")
        #expect(configuration.console.key == "/etc/ssl/console.key")
    }

    @Test func rejects_listenWithoutAPort() {
        let text = cluster(console: "[console]\nlisten = \"0.0.0.0\"")
        expectSingleConfigurationProblem(
            text, line: line(of: "listen =", in: text), code: .invalidAddress,
            "'listen' in [console]: invalid address '0.0.0.0': the port is missing; write ADDR:PORT")
    }

    @Test func rejects_aNodesConsole_thatIsNotAString() {
        let text = cluster(alpha: "console = 8443")
        expectSingleConfigurationProblem(
            text, line: line(of: "console = 8443", in: text), code: .wrongType,
            "'console' in [nodes.alpha] must be a string like \"0.0.0.0:8443\", not an integer")
    }

    @Test func rejects_aCertificateWithoutItsKey() {
        let text = cluster(console: "[console]\nlisten = \"0.0.0.0:8443\"\ncertificate = \"/etc/console.pem\"")
        expectSingleConfigurationProblem(
            text, line: line(of: "certificate =", in: text), code: .missingKey,
            "[console] has a 'certificate' but no 'key'; give both")
    }

    @Test func rejects_anEmptyKeyPath() {
        let text = cluster(console: "[console]\ncertificate = \"/etc/console.pem\"\nkey = \"\"")
        expectSingleConfigurationProblem(
            text, line: line(of: "key =", in: text), code: .invalidPath, "'key' in [console] must not be empty")
    }

    @Test func rejects_aMisspeltKey_withASuggestion() {
        let text = cluster(console: "[console]\nlisten = \"0.0.0.0:8443\"\ncertficate = \"/etc/console.pem\"")
        expectSingleConfigurationProblem(
            text, line: line(of: "certficate", in: text), code: .unknownKey, "did you mean 'certificate'?")
    }

    @Test func rejects_console_thatIsNotATable() {
        let text = cluster(console: "console = \"0.0.0.0:8443\"")
        expectSingleConfigurationProblem(
            text, line: line(of: "console =", in: text), code: .wrongType, "'console' must be a table, like [console]")
    }

    @Test func rejects_aConsoleOnTheNodesOwnPeerPort() {
        let text = cluster(alpha: "console = \"0.0.0.0:7700\"")
        expectSingleConfigurationProblem(
            text, line: line(of: "console = \"0.0.0.0:7700\"", in: text), code: .conflict,
            "the console of node 'alpha' would listen on port 7700, the port of its own address")
    }

    @Test func rejects_twoConsolesOnOneMachine_onOnePort() {
        let text = cluster(console: "[console]\nlisten = \"127.0.0.1:8443\"", betaHost: "127.0.0.1")
        let problems = configurationProblems(text)
        #expect(problems.map(\.code) == [.conflict], "\(problems)")
        #expect(problems.first?.message.contains("as the console of node 'alpha' on the same machine") == true)
        #expect(problems.first?.message.contains("set 'console = \"ADDR:PORT\"' in [nodes.beta]") == true)
    }

    @Test func acceptsTwoConsolesOnOneMachine_onTheirOwnPorts() throws {
        let text = cluster(
            console: "[console]\nlisten = \"127.0.0.1:8443\"", beta: "console = \"127.0.0.1:8444\"",
            betaHost: "127.0.0.1")
        let configuration = try loadConfiguration(text).get()
        #expect(configuration.consoleAddress(of: "beta")?.port == 8444)
    }
}
