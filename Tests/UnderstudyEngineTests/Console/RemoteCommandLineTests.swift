import Foundation
import Testing
import UnderstudyCore
import UnderstudySupport

/// `understudy --url https://NODE:PORT --token TOKEN ...`: the built binary asks a node's console from elsewhere,
/// with no configuration file, as an administrator's laptop does.
@Suite(.serialized) struct RemoteCommandLineTests {
    static func run(_ arguments: String, token: String? = nil) async -> ProcessOutcome {
        await ProcessRunner.run(
            "'\(DaemonProcess.binary)' \(arguments)", environment: token.map { ["UNDERSTUDY_TOKEN": $0] } ?? [:],
            timeout: 120)
    }

    @Test func statusAndActions_workFromAnotherMachine_withATokensRole() async throws {
        let cluster = try ConsoleServiceTests.consoles("remote-cli")
        defer { Task { await cluster.remove() } }
        TestTree.write(cluster.source, "a.txt", "hello")
        let consoles = try await ConsoleServiceTests.start(cluster)
        _ = try await cluster.sync()
        let viewer = try await ConsoleAPITests.token(cluster, "beta", role: .viewer)
        let operatorToken = try await ConsoleAPITests.token(cluster, "beta", role: .operator)
        let url = consoles["beta"]!.base
        let ca = cluster.configuration.certificatesDirectory + "/ca.pem"
        let remote = "--url \(url) --ca '\(ca)' --config /nonexistent/understudy.toml"

        let status = await Self.run("status \(remote) --json", token: viewer)
        #expect(status.succeeded, "\(status.output)")
        #expect(
            status.output.contains("\"node\" : \"beta\"") || status.output.contains("\"node\":\"beta\""),
            "\(status.output)")

        let refused = await Self.run("sync \(remote)", token: viewer)
        #expect(!refused.succeeded)
        #expect(refused.output.contains("is a viewer; this needs an operator"), "\(refused.output)")

        let synced = await Self.run("sync \(remote) --token \(operatorToken)")
        #expect(synced.succeeded, "\(synced.output)")

        let noToken = await Self.run("status \(remote)")
        #expect(!noToken.succeeded)
        #expect(noToken.output.contains("--url needs an API token"), "\(noToken.output)")

        let wrongCA = await Self.run("status --url \(url) --config /nonexistent/understudy.toml", token: viewer)
        #expect(!wrongCA.succeeded, "the system's roots do not know the cluster's authority: \(wrongCA.output)")
        #expect(wrongCA.output.contains("cannot reach \(url)"), "\(wrongCA.output)")

        let revoked = await Self.run("status \(remote) --token ust_00000000_nonsense")
        #expect(!revoked.succeeded)
        #expect(revoked.output.contains("the token is unknown, expired or revoked"), "\(revoked.output)")
    }
}
