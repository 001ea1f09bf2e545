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
        defer {
            Self.stop("nginx -c \(directory)/nginx-")
            for node in ["alpha", "beta"] {
                for path in ["/run/nginx-\(lab.prefix)-\(node).pid", "/var/log/nginx/\(lab.prefix)-\(node).log"] {
                    try? FileManager.default.removeItem(atPath: path)
                }
            }
        }
        // Each node's nginx serves its own tree at the service address (Debian's default site serves another), and the
        // lab's nodes share one PID namespace (the guard looks at the node's network namespace instead); the rest
        // (the canary check, the private directories) is the recipe's.
        for (node, root) in [("alpha", directory + "/site"), ("beta", directory + "/replica")] {
            try """
            worker_processes 1;
            pid /run/nginx-\(lab.prefix)-\(node).pid;
            error_log /var/log/nginx/\(lab.prefix)-\(node).log;
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
        Self.stop("nginx -c \(directory)/nginx-alpha.conf")
        #expect(
            FailoverLab.waitUntil(seconds: 30) {
                lab.holdsServiceAddress("beta") && lab.clientAnswer(url: url) == canary
            },
            "the client never got the canary from beta: \(lab.logs("beta", last: 40))")
        #expect(!lab.holdsServiceAddress("alpha"))
    }

    /// Samba's recipe likewise: smbclient on the client reads the canary from the SMB share at the service address,
    /// from alpha, then from beta once alpha has died.
    @Test func sambaRecipe_clientReadsTheCanaryFromAlpha_thenFromBetaAfterAlphaDies() throws {
        let lab = try FailoverLab("rs")
        defer { lab.shutdown() }
        let directory = lab.directory
        defer { Self.stop("smbd -D -s \(directory)/smb-") }
        // Each node's smbd shares its own tree; its state lies where a proof keeps it private (the recipe's
        // directories), apart per node since the lab's nodes share one file system.
        for (node, root) in [("alpha", directory + "/site"), ("beta", directory + "/replica")] {
            let state = "/var/lib/samba/\(lab.prefix)-\(node)"
            for folder in [
                state + "/lock", state + "/state", state + "/private", "/var/cache/samba/\(lab.prefix)-\(node)",
            ] {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            }
            try """
            [global]
                server role = standalone server
                map to guest = bad user
                disable netbios = yes
                smb ports = 445
                bind interfaces only = yes
                interfaces = \(FailoverLab.serviceAddress)/24
                pid directory = /run/samba-\(lab.prefix)-\(node)
                lock directory = \(state)/lock
                state directory = \(state)/state
                private dir = \(state)/private
                cache directory = /var/cache/samba/\(lab.prefix)-\(node)
                ncalrpc dir = /run/samba-\(lab.prefix)-\(node)/ncalrpc
                log file = /var/log/samba/\(lab.prefix)-\(node).log
            [site]
                path = \(root)
                guest ok = yes
                read only = yes
            """.write(toFile: directory + "/smb-\(node).conf", atomically: true, encoding: .utf8)
        }
        defer {
            for node in ["alpha", "beta"] {
                for path in [
                    "/var/lib/samba/\(lab.prefix)-\(node)", "/var/cache/samba/\(lab.prefix)-\(node)",
                    "/run/samba-\(lab.prefix)-\(node)", "/var/log/samba/\(lab.prefix)-\(node).log",
                ] { try? FileManager.default.removeItem(atPath: path) }
            }
        }
        chmod(directory, 0o755)
        chmod(directory + "/site", 0o755)
        let conf = directory + "/smb-$UNDERSTUDY_NODE.conf"
        try lab.configure(
            group: """
                recipe = "samba"
                verify_every = "off"
                start = ["pgrep --ns $$ --nslist net -x smbd >/dev/null || smbd -D -s \(conf)"]
                stop = ["smbcontrol -s \(conf) smbd shutdown"]
                syntax_check = "testparm -s \(conf)"
                """, notify: false, labService: false)
        try lab.start("alpha")
        try lab.start("beta")
        let setup = lab.understudy(["recipe", "setup", "web", "--node", "alpha"])
        #expect(setup.status == 0, "\(setup.output)")
        let canary = "understudy canary of group web"
        let read = {
            lab.exec(
                "client",
                ["smbclient", "-N", "//\(FailoverLab.serviceAddress)/site", "-c", "get understudy-canary.txt -"]
            ).output.split(separator: "\n").contains { $0 == canary }
        }
        #expect(FailoverLab.waitUntil(seconds: 30) { read() }, "alpha never shared the canary: \(lab.logs("alpha"))")
        #expect(
            FailoverLab.waitUntil(seconds: 30) {
                FileManager.default.fileExists(atPath: directory + "/replica/understudy-canary.txt")
            }, "the canary never reached beta: \(lab.logs("beta"))")

        let proof = lab.understudy(["verify", "web"])
        #expect(proof.status == 0 && proof.output.contains("PASSED"), "\(proof.output)")
        #expect(read(), "the proof disturbed alpha's service")

        kill(try #require(lab.daemonPID("alpha")), SIGKILL)
        Self.stop("smbd -D -s \(directory)/smb-alpha.conf")
        #expect(
            FailoverLab.waitUntil(seconds: 40) { lab.holdsServiceAddress("beta") && read() },
            "the client never read the canary from beta: \(lab.logs("beta", last: 40))")
    }

    /// Ends the servers whose command line holds `pattern`: SIGTERM, so that a master ends its workers (which carry
    /// other titles), then SIGKILL for what is left after 2 s.
    static func stop(_ pattern: String) {
        _ = FailoverLab.run(["pkill", "-TERM", "-f", pattern])
        _ = FailoverLab.waitUntil(seconds: 2) { FailoverLab.run(["pgrep", "-f", pattern]).status != 0 }
        _ = FailoverLab.run(["pkill", "-9", "-f", pattern])
    }
}
