import Testing
import UnderstudyCore

/// `[notify]`, `[notify.email]`, `[notify.webhook]`, `[notify.command]`.
@Suite struct ConfigurationValidatorNotifyTests {
    @Test func rejects_email_withoutTo() {
        let text = failoverCluster(
            tail: """
                [notify.email]
                server = "10.77.1.25:25"
                from = "understudy@lab"
                """)
        expectRejected(
            text, at: "[notify.email]", .missingKey,
            "missing required key 'to' in [notify.email]; list the addresses to tell, like to = [\"admin@example.com\"]"
        )
    }

    @Test func rejects_email_withAnEmptyTo() {
        let text = failoverCluster(
            tail: """
                [notify.email]
                server = "10.77.1.25:25"
                from = "understudy@lab"
                to = []
                """)
        expectRejected(text, at: "to = []", .invalidValue, "'to' in [notify.email] is empty; list at least one address")
    }

    @Test func rejects_badMailbox_inTo() {
        let text = failoverCluster(
            tail: """
                [notify.email]
                server = "10.77.1.25:25"
                from = "understudy@lab"
                to = [
                  "admin@lab",
                  "Admin <admin@lab>",
                ]
                """)
        expectRejected(
            text, at: "\"Admin <", .invalidValue,
            "'Admin <admin@lab>' in 'to' of [notify.email] is not an email address like admin@example.com")
    }

    @Test func rejects_badMailbox_inFrom() {
        let text = failoverCluster(
            tail: """
                [notify.email]
                server = "10.77.1.25:25"
                from = "understudy"
                to = ["admin@lab"]
                """)
        expectRejected(
            text, at: "from =", .invalidValue,
            "'from' in [notify.email] is 'understudy', not an email address like understudy@example.com")
    }

    @Test func rejects_username_withoutPasswordFile() {
        let text = failoverCluster(
            tail: """
                [notify.email]
                server = "10.77.1.25:587"
                starttls = true
                username = "understudy"
                from = "understudy@lab"
                to = ["admin@lab"]
                """)
        expectRejected(
            text, at: "[notify.email]", .missingKey,
            "[notify.email] needs both 'username' and 'password_file' for a login, or neither")
    }

    @Test func rejects_passwordFile_withoutUsername() {
        let text = failoverCluster(
            tail: """
                [notify.email]
                server = "10.77.1.25:587"
                password_file = "/etc/understudy/smtp-password"
                from = "understudy@lab"
                to = ["admin@lab"]
                """)
        expectRejected(
            text, at: "[notify.email]", .missingKey, "needs both 'username' and 'password_file' for a login, or neither"
        )
    }

    @Test func rejects_relativePasswordFile() {
        let text = failoverCluster(
            tail: """
                [notify.email]
                server = "10.77.1.25:587"
                username = "understudy"
                password_file = "smtp-password"
                from = "understudy@lab"
                to = ["admin@lab"]
                """)
        expectRejected(
            text, at: "password_file =", .invalidPath, "'password_file' in [notify.email] must be an absolute path")
    }

    @Test func rejects_username_ofTheWrongType_withoutAlsoClaimingItMissing() {
        let text = failoverCluster(
            tail: """
                [notify.email]
                server = "10.77.1.25:587"
                username = 42
                password_file = "/etc/understudy/smtp-password"
                from = "understudy@lab"
                to = ["admin@lab"]
                """)
        expectRejected(
            text, at: "username =", .wrongType, "'username' in [notify.email] must be a string, not an integer")
    }

    @Test func rejects_starttls_asAString() {
        let text = failoverCluster(
            tail: """
                [notify.email]
                server = "10.77.1.25:587"
                starttls = "yes"
                from = "understudy@lab"
                to = ["admin@lab"]
                """)
        expectRejected(
            text, at: "starttls =", .wrongType, "'starttls' in [notify.email] must be true or false, not a string")
    }

    @Test func rejects_webhookURL_withoutScheme() {
        let text = failoverCluster(
            tail: """
                [notify.webhook]
                url = "hooks.example/understudy"
                """)
        expectRejected(
            text, at: "url =", .invalidValue,
            "'url' in [notify.webhook] is 'hooks.example/understudy'; it must start with http:// or https://")
    }

    @Test func rejects_webhookURL_thatIsOnlyAScheme() {
        expectRejected(
            failoverCluster(tail: "[notify.webhook]\nurl = \"https://\""), at: "url =", .invalidValue,
            "it must start with http:// or https://")
    }

    @Test func rejects_notifyCommand_withoutCommand() {
        let text = failoverCluster(
            tail: """
                [notify.command]
                timeout = "10s"
                """)
        expectRejected(text, at: "[notify.command]", .missingKey, "missing required key 'command' in [notify.command]")
    }

    @Test func rejects_notifyChannel_thatIsNotATable() {
        let text = failoverCluster(
            tail: """
                [notify]
                webhook = "http://hooks.example/"
                """)
        expectRejected(
            text, at: "webhook =", .wrongType,
            "'webhook' in [notify] must be a table, like [notify.webhook], not a string")
    }

    @Test func rejects_misspeltNotifyKeys_withSuggestions() {
        let text = failoverCluster(
            tail: """
                [notify]
                repeat_afer = "1m"
                [notify.email]
                server = "10.77.1.25:25"
                form = "understudy@lab"
                from = "understudy@lab"
                to = ["admin@lab"]
                """)
        let problems = configurationProblems(text)
        #expect(
            problems.map(\.message) == [
                "unknown key 'repeat_afer' in [notify]; did you mean 'repeat_after'?",
                "unknown key 'form' in [notify.email]; did you mean 'from'?",
            ])
        #expect(problems.map(\.line) == [lineNumber(of: "repeat_afer", in: text), lineNumber(of: "form =", in: text)])
        #expect(problems.allSatisfy { $0.code == .unknownKey })
    }

    // MARK: - SNMP

    @Test func snmp_v2c_defaultsToPublicAndPort162_andTheDefaultEngineIDIsTheNodes() throws {
        let configuration = try loadConfiguration(
            failoverCluster(
                tail: """
                    [notify.snmp]
                    target = "10.77.1.25"
                    """)
        ).get()
        let snmp = try #require(configuration.notify.snmp)
        #expect(snmp.target.port == 162 && snmp.security == .community("public") && snmp.engineID.isEmpty)
        #expect(SNMPNotification.defaultEngineID(node: "alpha") == [0x80, 0, 0, 0, 4] + Array("alpha".utf8))
    }

    @Test func snmp_v3_readsItsUserAuthAndEngine() throws {
        let configuration = try loadConfiguration(
            failoverCluster(
                tail: """
                    [notify.snmp]
                    target = "nms.example:10162"
                    version = "3"
                    user = "understudy"
                    auth = "SHA"
                    auth_password_file = "/etc/understudy/snmp.password"
                    engine_id = "0x8000000004616c706861"
                    """)
        ).get()
        let snmp = try #require(configuration.notify.snmp)
        #expect(snmp.security == .user(name: "understudy", auth: .sha, passwordFile: "/etc/understudy/snmp.password"))
        #expect(snmp.engineID == [0x80, 0, 0, 0, 4] + Array("alpha".utf8))
    }

    @Test func snmp_refusesMixedVersions_badEngineIDs_andBadOIDs() {
        let v3WithCommunity = configurationProblems(
            failoverCluster(
                tail: """
                    [notify.snmp]
                    target = "10.77.1.25"
                    version = "3"
                    community = "public"
                    user = "u"
                    auth_password_file = "/p"
                    """))
        #expect(
            v3WithCommunity.contains { $0.message.contains("'community' in [notify.snmp] is for version \"2c\"") },
            "\(v3WithCommunity)")
        let v2WithUser = configurationProblems(
            failoverCluster(
                tail: """
                    [notify.snmp]
                    target = "10.77.1.25"
                    user = "u"
                    """))
        #expect(
            v2WithUser.contains { $0.message.contains("'user' in [notify.snmp] needs version = \"3\"") },
            "\(v2WithUser)")
        let badEngine = configurationProblems(
            failoverCluster(
                tail: """
                    [notify.snmp]
                    target = "10.77.1.25"
                    engine_id = "0x80zz"
                    """))
        #expect(badEngine.contains { $0.message.contains("it must be 5 to 32 bytes in hex") }, "\(badEngine)")
        let badOID = configurationProblems(
            failoverCluster(
                tail: """
                    [notify.snmp]
                    target = "10.77.1.25"
                    trap_oid = "4.5.6"
                    """))
        #expect(badOID.contains { $0.message.contains("not an object identifier") }, "\(badOID)")
    }
}
