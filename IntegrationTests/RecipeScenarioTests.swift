#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// The nginx recipe on real nodes in network namespaces, with Debian's nginx: `recipe setup` makes the canary on
/// alpha, a client gets it at the service address from alpha, the standby proves the group, alpha dies, and the
/// client gets the same canary from beta at the same address.
@Suite(.serialized)
struct RecipeScenarioTests {
    @Test func nginxRecipe_clientGetsTheCanaryFromAlpha_thenFromBetaAfterAlphaDies() throws {
        let lab = try FailoverLab("rc")
        defer { lab.shutdown() }
        let directory = lab.directory
        defer { _ = FailoverLab.run(["pkill", "-9", "-f", "nginx -c \(directory)/nginx-"]) }
        // Each node's nginx serves its own tree at the service address (Debian's default site serves another), and the
        // lab's nodes share one PID namespace (the guard looks at the node's network namespace instead); the rest
        // (the canary check, the private directories) is the recipe's.
        for (node, root) in [("alpha", directory + "/site"), ("beta", directory + "/replica")] {
            try """
            worker_processes 1;
            pid /run/nginx-lab-\(node).pid;
            error_log /var/log/nginx/lab-\(node).log;
            events { worker_connections 64; }
            http {
                access_log off;
                server { listen \(FailoverLab.serviceAddress):80; root \(root); }
            }
            """.write(toFile: directory + "/nginx-\(node).conf", atomically: true, encoding: .utf8)
        }
        chmod(directory, 0o755)
        chmod(directory + "/site", 0o755)
        let conf = directory + "/nginx-$UNDERSTUDY_NODE.conf"
        try lab.configure(
            group: """
                recipe = "nginx"
                verify_every = "off"
                start = ["pgrep --ns $$ --nslist net -x nginx >/dev/null || nginx -c \(conf)"]
                stop = ["nginx -c \(conf) -s quit"]
                syntax_check = "nginx -t -q -c \(conf)"
                """, notify: false, labService: false)
        try lab.start("alpha")
        try lab.start("beta")
        let setup = lab.understudy(["recipe", "setup", "web", "--node", "alpha"])
        #expect(setup.status == 0, "\(setup.output)")
        let canary = "understudy canary of group web"
        let url = "http://\(FailoverLab.serviceAddress)/understudy-canary.html"
        #expect(
            FailoverLab.waitUntil(seconds: 30) { lab.clientAnswer(url: url) == canary },
            "alpha never served the canary: \(lab.logs("alpha"))")
        #expect(
            FailoverLab.waitUntil(seconds: 30) {
                FileManager.default.fileExists(atPath: directory + "/replica/understudy-canary.html")
            }, "the canary never reached beta: \(lab.logs("beta"))")

        let proof = lab.understudy(["verify", "web"])
        #expect(proof.status == 0 && proof.output.contains("PASSED"), "\(proof.output)")
        #expect(lab.clientAnswer(url: url) == canary, "the proof disturbed alpha's service")

        kill(try #require(lab.daemonPID("alpha")), SIGKILL)
        _ = FailoverLab.run(["pkill", "-9", "-f", "nginx -c \(directory)/nginx-alpha.conf"])
        #expect(
            FailoverLab.waitUntil(seconds: 30) {
                lab.holdsServiceAddress("beta") && lab.clientAnswer(url: url) == canary
            },
            "the client never got the canary from beta: \(lab.logs("beta", last: 40))")
        #expect(!lab.holdsServiceAddress("alpha"))
    }
}
