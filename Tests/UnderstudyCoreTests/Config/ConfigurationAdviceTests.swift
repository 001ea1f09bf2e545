import Testing
import UnderstudyCore

struct ConfigurationAdviceTests {
    static func cluster(
        links: Int, checks: Bool, isolation: CheckConfiguration? = nil, mode: TakeoverConfiguration.Mode = .auto
    ) throws -> ClusterConfiguration {
        let names = ["dedicated", "lan"].prefix(links)
        let alpha = NodeConfiguration(
            name: "alpha", address: PeerAddress(host: "10.0.0.1", port: 7700),
            links: names.enumerated().map { NodeLink(name: $1, address: "10.0.\($0).1") }, isolationCheck: isolation)
        let beta = NodeConfiguration(
            name: "beta", address: PeerAddress(host: "10.0.0.2", port: 7700),
            links: names.enumerated().map { NodeLink(name: $1, address: "10.0.\($0).2") })
        let check = CheckConfiguration(name: "web", probe: .tcp(PeerAddress(host: "10.0.0.100", port: 80)))
        let group = GroupConfiguration(
            name: "web", primary: "alpha", standby: "beta",
            shares: [try ShareConfiguration(name: "site", source: "/srv")],
            takeover: TakeoverConfiguration(mode: mode, checks: checks ? [check] : []))
        return ClusterConfiguration(
            cluster: "c", certificatesDirectory: "/c", nodes: ["alpha": alpha, "beta": beta], groups: ["web": group],
            sourcePath: "u.toml")
    }

    @Test func warns_whenAGroupWithHeartbeatsHasNoChecks_orOneLinkOnly() throws {
        let warnings = ConfigurationAdvice.warnings(try Self.cluster(links: 1, checks: false))
        #expect(warnings.count == 2)
        #expect(warnings.contains { $0.contains("has no checks") })
        #expect(warnings.contains { $0.contains("share one link only") })
    }

    @Test func aGroupInManualMode_withoutChecks_isNotSaidToBeTakenOverBySilence() throws {
        let warnings = ConfigurationAdvice.warnings(try Self.cluster(links: 2, checks: false, mode: .manual))
        #expect(warnings.isEmpty, "\(warnings)")
    }

    @Test func saysNothing_forTwoLinksAndChecks_orForAMirrorWithoutLinks() throws {
        #expect(ConfigurationAdvice.warnings(try Self.cluster(links: 2, checks: true)).isEmpty)
        #expect(ConfigurationAdvice.warnings(try Self.cluster(links: 0, checks: false)).isEmpty)
    }

    @Test func warns_whenTheIsolationCheckIsTooSlowForTheDeadTime() throws {
        let slow = CheckConfiguration(
            name: "gw", probe: .command("ping -c1 gw"), interval: ConfigDuration(seconds: 1),
            timeout: ConfigDuration(seconds: 1), fall: 2)
        let warnings = ConfigurationAdvice.warnings(try Self.cluster(links: 2, checks: true, isolation: slow))
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("isolation check of node 'alpha'") == true)
    }
}
