#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// Each recipe on real nodes in network namespaces, with Debian's servers (nginx, Samba, Apache httpd, Postfix):
/// `recipe setup` makes the canary on alpha, a real client gets its data at the service address from alpha, the
/// standby proves the group without disturbing alpha, alpha dies, and the client gets the same data from beta at the
/// same address.
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
        try Self.canaryScenario(
            lab, canary: "understudy-canary.html", read: { Self.fetchCanary(lab) },
            stopAlpha: { Self.stop("nginx -c \(directory)/nginx-alpha.conf") })
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
        let read = {
            lab.exec(
                "client",
                ["smbclient", "-N", "//\(FailoverLab.serviceAddress)/site", "-c", "get understudy-canary.txt -"]
            ).output.split(separator: "\n").contains { $0 == Self.canaryLine }
        }
        try Self.canaryScenario(
            lab, canary: "understudy-canary.txt", read: read,
            stopAlpha: { Self.stop("smbd -D -s \(directory)/smb-alpha.conf") }, seconds: 40)
    }

    /// Apache's recipe likewise (Debian's Apache httpd): curl on the client gets the canary page from alpha, then from
    /// beta once alpha has died; the recipe's check proves beta's Apache meanwhile.
    @Test func apacheRecipe_clientGetsTheCanaryFromAlpha_thenFromBetaAfterAlphaDies() throws {
        let lab = try FailoverLab("ra")
        defer { lab.shutdown() }
        let directory = lab.directory
        defer {
            Self.stop("apache2 -f \(directory)/apache-")
            for node in ["alpha", "beta"] {
                for path in ["/run/apache2-\(lab.prefix)-\(node)", "/var/log/apache2/\(lab.prefix)-\(node).log"] {
                    try? FileManager.default.removeItem(atPath: path)
                }
            }
        }
        // Each node's Apache serves its own tree at the service address, with a pid file and lock directory of its
        // own (the lab's nodes share one file system); the check and the private directories are the recipe's.
        let modules = "/usr/lib/apache2/modules"
        for (node, root) in [("alpha", directory + "/site"), ("beta", directory + "/replica")] {
            let run = "/run/apache2-\(lab.prefix)-\(node)"
            try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
            try """
            ServerRoot "/etc/apache2"
            ServerName \(node).lab.test
            LoadModule mpm_event_module \(modules)/mod_mpm_event.so
            LoadModule authz_core_module \(modules)/mod_authz_core.so
            LoadModule mime_module \(modules)/mod_mime.so
            LoadModule dir_module \(modules)/mod_dir.so
            TypesConfig /etc/mime.types
            PidFile \(run)/apache2.pid
            Mutex file:\(run) default
            User www-data
            Group www-data
            ErrorLog /var/log/apache2/\(lab.prefix)-\(node).log
            Listen \(FailoverLab.serviceAddress):80
            DocumentRoot "\(root)"
            <Directory "\(root)">
                Require all granted
            </Directory>
            """.write(toFile: directory + "/apache-\(node).conf", atomically: true, encoding: .utf8)
        }
        chmod(directory, 0o755)
        chmod(directory + "/site", 0o755)
        let conf = directory + "/apache-$UNDERSTUDY_NODE.conf"
        try lab.configure(
            group: """
                recipe = "apache"
                verify_every = "off"
                start = ["pgrep --ns $$ --nslist net -x apache2 >/dev/null || apachectl -f \(conf) -k start"]
                stop = ["apachectl -f \(conf) -k stop"]
                syntax_check = "apachectl -f \(conf) -t"
                """, notify: false, labService: false)
        try Self.canaryScenario(
            lab, canary: "understudy-canary.html", read: { Self.fetchCanary(lab) },
            stopAlpha: { Self.stop("apache2 -f \(directory)/apache-alpha.conf") })
    }

    /// Postfix's recipe (Debian's Postfix): a client's mail to root, taken by alpha at the service address, is
    /// delivered into the spool (the group's share) and mirrored; alpha dies; beta takes the client's next mail at the
    /// same address, and its spool holds both.
    @Test func postfixRecipe_mailTakenByAlpha_isInBetasSpool_andBetaTakesTheNextAtTheSameAddress() throws {
        let lab = try FailoverLab("rp")
        defer { lab.shutdown() }
        let directory = lab.directory
        // Each node's Postfix is an instance of its own (configuration, queue and data directories apart: the lab's
        // nodes share one file system), delivering local mail into its node's tree; no chroot, no aliases.
        func place(_ node: String) -> (config: String, queue: String, data: String) {
            (
                "/etc/postfix-\(lab.prefix)-\(node)", "/var/spool/postfix-\(lab.prefix)-\(node)",
                "/var/lib/postfix-\(lab.prefix)-\(node)"
            )
        }
        defer {
            for node in ["alpha", "beta"] {
                _ = FailoverLab.run(["postfix", "-c", place(node).config, "stop"])
                for path in [place(node).config, place(node).queue, place(node).data] {
                    try? FileManager.default.removeItem(atPath: path)
                }
            }
        }
        for (node, root) in [("alpha", directory + "/site"), ("beta", directory + "/replica")] {
            let (config, queue, data) = place(node)
            for folder in [config, queue, data] {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            }
            // Postfix writes its data directory as its own user.
            #expect(FailoverLab.run(["chown", "postfix:postfix", data]).status == 0)
            try FileManager.default.copyItem(atPath: "/etc/postfix/master.cf", toPath: config + "/master.cf")
            try """
            compatibility_level = 3.6
            queue_directory = \(queue)
            data_directory = \(data)
            mail_spool_directory = \(root)
            inet_interfaces = \(FailoverLab.serviceAddress)
            inet_protocols = ipv4
            myhostname = \(node).lab.test
            mydestination = localhost, $myhostname
            mynetworks = 10.77.0.0/16 127.0.0.0/8
            alias_maps =
            alias_database =
            local_recipient_maps =
            smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
            maillog_file = \(data)/maillog
            """.write(toFile: config + "/main.cf", atomically: true, encoding: .utf8)
            let chroot = FailoverLab.run(["postconf", "-c", config, "-F", "*/*/chroot = n"])
            #expect(chroot.status == 0, "\(chroot.output)")
        }
        chmod(directory, 0o755)
        chmod(directory + "/site", 0o1777)
        let config = "/etc/postfix-\(lab.prefix)-$UNDERSTUDY_NODE"
        // A proof keeps beta's instance's directories private, as the recipe does Debian's.
        let beta = place("beta")
        try lab.configure(
            group: """
                recipe = "postfix"
                verify_every = "off"
                start = ["pgrep --ns $$ --nslist net -x master >/dev/null || postfix -c \(config) start"]
                stop = ["postfix -c \(config) stop"]
                syntax_check = "postfix -c \(config) check"
                proof_private = ["\(beta.config)", "\(beta.queue)", "\(beta.data)"]
                config_files = []
                """, notify: false, labService: false)
        try lab.start("alpha")
        try lab.start("beta")
        let setup = lab.understudy(["recipe", "setup", "web", "--node", "alpha"])
        #expect(setup.status == 0, "\(setup.output)")
        // The client: Python's smtplib, from its own namespace, to the service address.
        let send = { (subject: String) -> (status: Int32, output: String) in
            lab.exec(
                "client",
                [
                    "python3", "-c",
                    """
                    import smtplib
                    from email.message import EmailMessage
                    m = EmailMessage()
                    m['From'] = 'client@lab.test'; m['To'] = 'root@localhost'; m['Subject'] = '\(subject)'
                    m.set_content('mail of the lab')
                    with smtplib.SMTP('\(FailoverLab.serviceAddress)', 25, timeout=10) as s:
                        s.send_message(m)
                    """,
                ])
        }
        let mailbox = { (tree: String) in (try? String(contentsOfFile: tree + "/root", encoding: .utf8)) ?? "" }
        #expect(
            FailoverLab.waitUntil(seconds: 30) { send("first of the lab").status == 0 },
            "alpha never took the mail: \(lab.logs("alpha"))")
        #expect(
            FailoverLab.waitUntil(seconds: 30) {
                mailbox(directory + "/replica").contains("Subject: first of the lab")
            },
            "the mail never reached beta's spool: \(mailbox(directory + "/site")) \(lab.logs("beta"))")

        let proof = lab.understudy(["verify", "web"])
        #expect(proof.status == 0 && proof.output.contains("PASSED"), "\(proof.output)")
        #expect(send("during the proof").status == 0, "the proof disturbed alpha's service")

        kill(try #require(lab.daemonPID("alpha")), SIGKILL)
        _ = FailoverLab.run(["postfix", "-c", place("alpha").config, "stop"])
        #expect(
            FailoverLab.waitUntil(seconds: 40) {
                lab.holdsServiceAddress("beta") && send("second of the lab").status == 0
            },
            "beta never took the client's mail: \(lab.logs("beta", last: 40))")
        #expect(
            FailoverLab.waitUntil(seconds: 30) {
                let spool = mailbox(directory + "/replica")
                return spool.contains("Subject: first of the lab") && spool.contains("Subject: second of the lab")
            }, "beta's spool lacks a mail: \(mailbox(directory + "/replica"))")
    }

    static let canaryLine = "understudy canary of group web"

    /// Whether the client gets the web canary at the service address.
    static func fetchCanary(_ lab: FailoverLab) -> Bool {
        lab.clientAnswer(url: "http://\(FailoverLab.serviceAddress)/understudy-canary.html") == canaryLine
    }

    /// What every canary scenario does once its servers are configured: both nodes start, `recipe setup` on alpha,
    /// the client `read`s the canary from alpha, it reaches beta's replica, beta proves the group without disturbing
    /// alpha, alpha dies (its daemon killed, its server stopped by `stopAlpha`), and the client reads the canary from
    /// beta, which holds the service address alone.
    static func canaryScenario(
        _ lab: FailoverLab, canary: String, read: () -> Bool, stopAlpha: () -> Void, seconds: Double = 30
    ) throws {
        try lab.start("alpha")
        try lab.start("beta")
        let setup = lab.understudy(["recipe", "setup", "web", "--node", "alpha"])
        #expect(setup.status == 0, "\(setup.output)")
        #expect(FailoverLab.waitUntil(seconds: 30) { read() }, "alpha never served the canary: \(lab.logs("alpha"))")
        #expect(
            FailoverLab.waitUntil(seconds: 30) {
                FileManager.default.fileExists(atPath: lab.directory + "/replica/" + canary)
            }, "the canary never reached beta: \(lab.logs("beta"))")

        let proof = lab.understudy(["verify", "web"])
        #expect(proof.status == 0 && proof.output.contains("PASSED"), "\(proof.output)")
        #expect(read(), "the proof disturbed alpha's service")

        kill(try #require(lab.daemonPID("alpha")), SIGKILL)
        stopAlpha()
        #expect(
            FailoverLab.waitUntil(seconds: seconds) { lab.holdsServiceAddress("beta") && read() },
            "the client never got the canary from beta: \(lab.logs("beta", last: 40))")
        #expect(!lab.holdsServiceAddress("alpha"))
    }

    /// Ends the servers whose command line holds `pattern`: SIGTERM, so that a master ends its workers (which carry
    /// other titles), then SIGKILL for what is left after 2 s.
    static func stop(_ pattern: String) {
        _ = FailoverLab.run(["pkill", "-TERM", "-f", pattern])
        _ = FailoverLab.waitUntil(seconds: 2) { FailoverLab.run(["pgrep", "-f", pattern]).status != 0 }
        _ = FailoverLab.run(["pkill", "-9", "-f", pattern])
    }
}
