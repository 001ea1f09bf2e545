#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyControl
import UnderstudyCore
@testable import UnderstudySupport

/// A group with `recipe = "nginx"` on a real standby, with Debian's nginx (scripts/setup installs it): `recipe setup`
/// makes the canary on the primary, the mirror brings it over, and a proof runs nginx on the replica's snapshot
/// with the recipe's check and stop step.
@Suite(.serialized)
struct RecipeProofTests {
    @Test func anNginxRecipeGroup_isProven_withTheRecipesCheckOfTheCanaryItsSetupMade() async throws {
        let address = "10.214.\(try TestPorts.take() % 200).100"
        let cluster = try ProofLab.cluster(
            label: "recipe",
            groupExtra: """
                recipe = "nginx"
                service_address = "\(address)/24"
                interface = "lo"
                failover = "manual"
                verify_every = "off"
                proof_timeout = "20s"
                # The recipe's start step runs nginx with Debian's configuration, whose root is not this test's
                # replica: only the start step is the group's own (in a proof), the rest is the recipe's.
                start = ["test x$UNDERSTUDY_PROOF != x1 || nginx -c @ROOT@/nginx.conf"]
                syntax_check = "nginx -t -q -c @ROOT@/nginx.conf"
                """)
        defer { Task { await cluster.remove() } }
        defer { _ = try? ChildProcess.run("/usr/bin/pkill", ["-9", "-f", "nginx -c \(cluster.root)"]) }
        // nginx's workers run as www-data: the way to the replica must be open to them, as on a web server.
        chmod(cluster.root, 0o755)
        chmod(cluster.source, 0o755)
        try """
        worker_processes 1;
        pid /run/nginx.pid;
        error_log /var/log/nginx/error.log;
        events { worker_connections 64; }
        http {
            access_log off;
            server { listen \(address):80; root \(cluster.replica); }
        }
        """.write(toFile: cluster.root + "/nginx.conf", atomically: true, encoding: .utf8)
        let pair = try DaemonPair(cluster)
        defer { pair.terminate() }

        // The canary is made on the primary only.
        let config = ["--config", cluster.configPath]
        let (refused, refusal) = try ChildProcess.run(
            DaemonProcess.binary, ["recipe", "setup", "files", "--node", "beta"] + config)
        #expect(refused != 0 && refusal.contains("run `understudy recipe setup files` there"), "\(refusal)")
        let (status, output) = try ChildProcess.run(
            DaemonProcess.binary, ["recipe", "setup", "files", "--node", "alpha"] + config)
        #expect(
            status == 0 && output.contains("wrote the canary \(cluster.source)/understudy-canary.html"), "\(output)")
        #expect(
            (try? String(contentsOfFile: cluster.source + "/understudy-canary.html", encoding: .utf8))
                == Recipe.canaryText(group: "files"))
        #expect(try await pair.arrives("understudy-canary.html", 60), "\(DaemonPair.text(pair.betaLog).suffix(2000))")

        let (_, shown) = try ChildProcess.run(
            DaemonProcess.binary, ["recipe", "show", "nginx", "--group", "files"] + config)
        #expect(shown.contains("check page: http http://\(address)/understudy-canary.html"), "\(shown)")
        #expect(shown.contains("stop 1: nginx -s quit") && shown.contains("/var/lib/nginx"), "\(shown)")

        let response = try await onThread {
            try cluster.control("beta").send(.verify(group: "files"), waitingUpTo: 30)
        }
        let proof = try #require(response.proofs?.first, "\(response)")
        #expect(proof.passed, "\(proof.problem ?? "") \(proof.steps) \(proof.checks)")
        #expect(proof.checks.map(\.name) == ["page"] && proof.checks.allSatisfy(\.passed), "\(proof.checks)")
        #expect(
            proof.steps.map(\.name) == ["syntax check", "start 1", "stop 1"] && proof.steps.allSatisfy(\.passed),
            "\(proof.steps)")
        #expect(!(try ProofLab.isRunning("nginx -c \(cluster.root)")), "nginx of the proof is still running")

        // A configuration that fails nginx's own check: the next proof says so, and starts nothing.
        let configuration = try String(contentsOfFile: cluster.root + "/nginx.conf", encoding: .utf8)
        try configuration.replacingOccurrences(of: "access_log off;", with: "access_log off")
            .write(toFile: cluster.root + "/nginx.conf", atomically: true, encoding: .utf8)
        let broken = try await onThread { try cluster.control("beta").send(.verify(group: "files"), waitingUpTo: 30) }
        let failed = try #require(broken.proofs?.first, "\(broken)")
        #expect(!broken.ok && !failed.passed)
        #expect(failed.problem?.contains("fails the service's syntax check") == true, "\(failed.problem ?? "")")
        #expect(failed.steps.map(\.name) == ["syntax check"], "\(failed.steps)")
    }

    /// Samba's recipe with Debian's smbd and smbclient: the canary is fetched from the SMB share named like the
    /// group's first share, at the service address, in the proof's namespace.
    @Test func aSambaRecipeGroup_isProven_bySmbclientFetchingTheCanaryFromTheShare() async throws {
        let address = "10.215.\(try TestPorts.take() % 200).100"
        let cluster = try ProofLab.cluster(
            label: "recipe-smb",
            groupExtra: """
                recipe = "samba"
                service_address = "\(address)/24"
                interface = "lo"
                failover = "manual"
                verify_every = "off"
                proof_timeout = "30s"
                # Debian's smb.conf shares nothing of this test's: the group's own start and syntax check name one
                # that does; the check, the stop step and the private directories are the recipe's.
                start = ["test x$UNDERSTUDY_PROOF != x1 || smbd -D -s @ROOT@/smb.conf"]
                syntax_check = "testparm -s @ROOT@/smb.conf"
                """)
        defer { Task { await cluster.remove() } }
        chmod(cluster.root, 0o755)
        chmod(cluster.source, 0o755)
        try """
        [global]
            server role = standalone server
            map to guest = bad user
            disable netbios = yes
            smb ports = 445
            bind interfaces only = yes
            interfaces = lo
            log file = /var/log/samba/log.%m
        [data]
            path = \(cluster.replica)
            guest ok = yes
            read only = yes
        """.write(toFile: cluster.root + "/smb.conf", atomically: true, encoding: .utf8)
        let pair = try DaemonPair(cluster)
        defer { pair.terminate() }
        let proof = try await ProofLab.setUpAndProve(pair, canary: "understudy-canary.txt")
        #expect(proof.passed, "\(proof.problem ?? "") \(proof.steps) \(proof.checks)")
        #expect(proof.checks.map(\.name) == ["smb"] && proof.checks.allSatisfy(\.passed), "\(proof.checks)")
        #expect(!(try ProofLab.isRunning("smbd -D -s \(cluster.root)")), "smbd of the proof is still running")
    }

    /// Apache's recipe with Debian's Apache httpd: the recipe's stop step (`apachectl stop`) ends the server its
    /// group's start step began in the proof, after the recipe's check fetched the canary.
    @Test func anApacheRecipeGroup_isProven_withTheRecipesCheckAndStopStep() async throws {
        let address = "10.216.\(try TestPorts.take() % 200).100"
        let cluster = try ProofLab.cluster(
            label: "recipe-apache",
            groupExtra: """
                recipe = "apache"
                service_address = "\(address)/24"
                interface = "lo"
                failover = "manual"
                verify_every = "off"
                proof_timeout = "20s"
                # Debian's default site serves /var/www/html: the group's start step and syntax check name this
                # test's configuration; the check, the stop step and the private directories are the recipe's.
                start = ["test x$UNDERSTUDY_PROOF != x1 || apachectl -f @ROOT@/apache.conf -k start"]
                syntax_check = "apachectl -f @ROOT@/apache.conf -t"
                """)
        defer { Task { await cluster.remove() } }
        defer { _ = try? ChildProcess.run("/usr/bin/pkill", ["-9", "-f", "apache2 -f \(cluster.root)"]) }
        chmod(cluster.root, 0o755)
        chmod(cluster.source, 0o755)
        let modules = "/usr/lib/apache2/modules"
        try """
        ServerRoot "/etc/apache2"
        ServerName proof.test
        LoadModule mpm_event_module \(modules)/mod_mpm_event.so
        LoadModule authz_core_module \(modules)/mod_authz_core.so
        LoadModule mime_module \(modules)/mod_mime.so
        LoadModule dir_module \(modules)/mod_dir.so
        TypesConfig /etc/mime.types
        PidFile ${APACHE_PID_FILE}
        Mutex file:${APACHE_LOCK_DIR} default
        User ${APACHE_RUN_USER}
        Group ${APACHE_RUN_GROUP}
        ErrorLog ${APACHE_LOG_DIR}/proof-test.log
        Listen \(address):80
        DocumentRoot "\(cluster.replica)"
        <Directory "\(cluster.replica)">
            Require all granted
        </Directory>
        """.write(toFile: cluster.root + "/apache.conf", atomically: true, encoding: .utf8)
        let pair = try DaemonPair(cluster)
        defer { pair.terminate() }
        let proof = try await ProofLab.setUpAndProve(pair, canary: "understudy-canary.html")
        #expect(proof.passed, "\(proof.problem ?? "") \(proof.steps) \(proof.checks)")
        #expect(proof.checks.map(\.name) == ["page"] && proof.checks.allSatisfy(\.passed), "\(proof.checks)")
        #expect(proof.steps.map(\.name) == ["syntax check", "start 1", "stop 1"], "\(proof.steps)")
        #expect(!(try ProofLab.isRunning("apache2 -f \(cluster.root)")), "Apache of the proof is still running")
    }

    /// Debian's Postfix with its own configuration: the recipe's start step (`postfix start`) in a proof, its SMTP
    /// check delivering a test message to postmaster (into the proof's private queue), and `postfix stop`.
    @Test func aPostfixRecipeGroup_isProven_byAnSMTPTestDelivery() async throws {
        let address = "10.217.\(try TestPorts.take() % 200).100"
        let cluster = try ProofLab.cluster(
            label: "postfix",
            groupExtra: """
                recipe = "postfix"
                service_address = "\(address)/24"
                interface = "lo"
                failover = "manual"
                verify_every = "off"
                proof_timeout = "30s"
                # The recipe's start step, in proofs only: this machine's own Postfix is not started by alpha.
                start = ["test x$UNDERSTUDY_PROOF != x1 || { \(Recipe.all["postfix"]!.start[0]); }"]
                """)
        defer { Task { await cluster.remove() } }
        let pair = try DaemonPair(cluster)
        defer { pair.terminate() }
        let proof = try await ProofLab.setUpAndProve(pair, canary: "understudy-canary.txt")
        #expect(proof.passed, "\(proof.problem ?? "") \(proof.steps) \(proof.checks)")
        #expect(proof.checks.map(\.name) == ["smtp"] && proof.checks.allSatisfy(\.passed), "\(proof.checks)")
        #expect(
            proof.checks.first?.message.contains("took a test message for postmaster@localhost") == true,
            "\(proof.checks)")
        #expect(proof.steps.map(\.name) == ["syntax check", "start 1", "stop 1"], "\(proof.steps)")
        #expect(!(try ProofLab.isRunning("/usr/lib/postfix/sbin/master")), "Postfix of the proof is still running")
        // The test message stayed in the proof: nothing was queued on this machine.
        let queued = try ChildProcess.run("/usr/sbin/postqueue", ["-p"]).output
        #expect(!queued.contains("postmaster@localhost"), "\(queued)")
    }
}
