import Testing
import UnderstudyCore

/// `[[groups.NAME.checks]]`: types, the keys of each type, names, values.
@Suite struct ConfigurationValidatorChecksTests {
    @Test func rejects_check_withoutType() {
        let text = failoverCluster(
            tail: """
                [[groups.web.checks]]
                target = "10.77.1.100:80"
                """)
        expectRejected(
            text, at: "[[groups.web.checks]]", .missingKey,
            "missing required key 'type' in [[groups.web.checks]]; use one of 'tcp', 'http', 'https', 'file', 'command', 'smtp'"
        )
    }

    @Test func rejects_check_ofUnknownType() {
        let text = failoverCluster(
            tail: """
                [[groups.web.checks]]
                type = "ping"
                """)
        expectRejected(
            text, at: "type = \"ping\"", .invalidValue,
            "'type' in [[groups.web.checks]] is 'ping'; it must be 'tcp' or 'http' or 'https' or 'file' or 'command' or 'smtp'"
        )
    }

    @Test func rejects_keyOfAnotherCheckType() {
        let text = failoverCluster(
            tail: """
                [[groups.web.checks]]
                type = "tcp"
                target = "10.77.1.100:80"
                url = "http://10.77.1.100/"
                """)
        expectRejected(
            text, at: "url =", .unknownKey,
            "'url' does not apply to a 'tcp' check in [[groups.web.checks]]; it is for 'http', 'https' checks")
    }

    @Test func rejects_expectBody_onACommandCheck() {
        let text = failoverCluster(
            tail: """
                [[groups.web.checks]]
                type = "command"
                command = "true"
                expect_body = "ok"
                """)
        expectRejected(
            text, at: "expect_body =", .unknownKey,
            "'expect_body' does not apply to a 'command' check in [[groups.web.checks]]; it is for 'http', 'https', 'file' checks"
        )
    }

    @Test func rejects_duplicateCheckNames() {
        let text = failoverCluster(
            tail: """
                [[groups.web.checks]]
                name = "web"
                type = "tcp"
                target = "10.77.1.100:80"
                [[groups.web.checks]]
                name = "web"
                type = "tcp"
                target = "10.77.1.100:443"
                """)
        let first = lineNumber(of: "[[groups.web.checks]]", in: text)
        let problems = configurationProblems(text)
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.line == first + 5, "the second 'name'")
        #expect(problems.first?.code == .conflict)
        #expect(
            problems.first?.message
                == "check name 'web' is used twice in group 'web' (first on line \(first)); give each check its own 'name'"
        )
    }

    @Test func defaultCheckNames_countTheirPosition() throws {
        let configuration = try loadConfiguration(
            failoverCluster(
                tail: """
                    [[groups.web.checks]]
                    type = "tcp"
                    target = "10.77.1.100:80"
                    [[groups.web.checks]]
                    type = "tcp"
                    target = "10.77.1.100:443"
                    """)
        ).get()
        #expect(configuration.groups["web"]?.takeover.checks.map(\.name) == ["tcp-1", "tcp-2"])
    }

    @Test func rejects_tcpCheck_withoutTarget() {
        let text = failoverCluster(
            tail: """
                [[groups.web.checks]]
                type = "tcp"
                """)
        expectRejected(
            text, at: "[[groups.web.checks]]", .missingKey, "missing required key 'target' in [[groups.web.checks]]")
    }

    @Test func rejects_tcpTarget_withoutPort() {
        let text = failoverCluster(
            tail: """
                [[groups.web.checks]]
                type = "tcp"
                target = "10.77.1.100"
                """)
        expectRejected(
            text, at: "target =", .invalidAddress,
            "'target' in [[groups.web.checks]]: invalid address '10.77.1.100': the port is missing")
    }

    @Test func rejects_httpsCheck_withAnHttpURL() {
        let text = failoverCluster(
            tail: """
                [[groups.web.checks]]
                type = "https"
                url = "http://10.77.1.100/"
                """)
        expectRejected(
            text, at: "url =", .invalidValue,
            "'url' in [[groups.web.checks]] is 'http://10.77.1.100/'; a 'https' check needs a URL starting with https://"
        )
    }

    @Test func rejects_expectStatus_thatIsNoHTTPStatus() {
        let text = failoverCluster(
            tail: """
                [[groups.web.checks]]
                type = "http"
                url = "http://10.77.1.100/"
                expect_status = 42
                """)
        expectRejected(
            text, at: "expect_status =", .invalidValue,
            "'expect_status' in [[groups.web.checks]] is 42, not an HTTP status (100 to 599)")
    }

    @Test func rejects_fileCheck_withARelativePath() {
        let text = failoverCluster(
            tail: """
                [[groups.web.checks]]
                type = "file"
                path = "mnt/web/.canary"
                """)
        expectRejected(
            text, at: "path =", .invalidPath,
            "'path' in [[groups.web.checks]] must be an absolute path (starting with '/'), not 'mnt/web/.canary'")
    }

    @Test func rejects_checkFall_outOfRange() {
        let text = failoverCluster(
            tail: """
                [[groups.web.checks]]
                type = "command"
                command = "true"
                fall = 0
                """)
        expectRejected(
            text, at: "fall =", .invalidValue, "'fall' in [[groups.web.checks]] is 0; it must be from 1 to 100")
    }

    @Test func rejects_misspeltCheckKey_withSuggestion() {
        let text = failoverCluster(
            tail: """
                [[groups.web.checks]]
                type = "http"
                url = "http://10.77.1.100/"
                expect_stauts = 200
                """)
        expectRejected(
            text, at: "expect_stauts", .unknownKey,
            "unknown key 'expect_stauts' in [[groups.web.checks]]; did you mean 'expect_status'?")
    }

    @Test func rejects_checks_thatAreNotAnArrayOfTables() {
        expectRejected(
            failoverCluster(group: "checks = \"tcp\""), at: "checks =", .wrongType,
            "'checks' in [groups.web] must be an array of tables; write each check as [[groups.web.checks]]")
    }

    @Test func reads_anSMTPCheck_withItsRecipient() throws {
        let text = failoverCluster(
            tail: """
                [[groups.web.checks]]
                name = "mail"
                type = "smtp"
                target = "10.77.1.100:25"
                mail_to = "postmaster@localhost"
                """)
        let check = try #require(try loadConfiguration(text).get().groups["web"]?.takeover.checks.first)
        #expect(check.probe == .smtp(PeerAddress(host: "10.77.1.100", port: 25), mailTo: "postmaster@localhost"))
        #expect(check.probe.typeName == "smtp" && check.probe.target == "10.77.1.100:25")
    }

    @Test func rejects_anSMTPRecipientThatIsNotOneAddress_andMailToOnATCPCheck() {
        for recipient in ["postmaster", "a@b@c", "<x@y>", "x@y\\r\\nRCPT TO:<z@y>", "two words@y"] {
            expectRejected(
                failoverCluster(
                    tail: """
                        [[groups.web.checks]]
                        type = "smtp"
                        target = "10.77.1.100:25"
                        mail_to = "\(recipient)"
                        """), at: "mail_to =", .invalidValue, "write one address like")
        }
        expectRejected(
            failoverCluster(
                tail: """
                    [[groups.web.checks]]
                    type = "tcp"
                    target = "10.77.1.100:25"
                    mail_to = "postmaster@localhost"
                    """), at: "mail_to =", .unknownKey, "'mail_to' does not apply to a 'tcp' check")
    }
}
