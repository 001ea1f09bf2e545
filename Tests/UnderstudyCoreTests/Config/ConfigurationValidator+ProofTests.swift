import Testing
import UnderstudyCore

/// `verify_every`, `proof_timeout` and `proof_private` of a group.
@Suite struct ConfigurationValidatorProofTests {
    static func cluster(_ keys: String) -> String {
        """
        cluster = "office"
        [nodes.alpha]
        address = "10.0.0.1:7700"
        [nodes.beta]
        address = "10.0.0.2:7700"
        [groups.files]
        primary = "alpha"
        standby = "beta"
        \(keys)
        [[groups.files.shares]]
        name = "data"
        source = "/srv/data"
        """
    }

    @Test func defaults_proveEveryHour_withTwoMinutes_andOnlyRunPrivate() throws {
        let proof = try loadConfiguration(Self.cluster("")).get().groups["files"]!.proof
        #expect(proof == ProofConfiguration())
        #expect(proof.every == ConfigDuration(seconds: 3600) && proof.timeout == ConfigDuration(seconds: 120))
        #expect(proof.privateDirectories.isEmpty && ProofConfiguration.alwaysPrivate == ["/run"])
    }

    @Test func reads_anInterval_off_aTimeout_andPrivateDirectories() throws {
        let set = try loadConfiguration(
            Self.cluster(
                "verify_every = \"30m\"\nproof_timeout = \"45s\"\nproof_private = [\"/var/lib/samba/\", \"/var//log\"]")
        ).get().groups["files"]!.proof
        #expect(set.every == ConfigDuration(seconds: 1800) && set.timeout == ConfigDuration(seconds: 45))
        #expect(set.privateDirectories == ["/var/lib/samba", "/var/log"])
        let off = try loadConfiguration(Self.cluster("verify_every = \"off\"")).get().groups["files"]!.proof
        #expect(off.every == nil)
    }

    @Test func refuses_aShortInterval_aBadTimeout_andUnusablePrivateDirectories() {
        expectSingleConfigurationProblem(
            Self.cluster("verify_every = \"10s\""), line: 9, code: .invalidDuration, "below the minimum of 1m")
        expectSingleConfigurationProblem(
            Self.cluster("proof_timeout = \"often\""), line: 9, code: .invalidDuration, "proof_timeout")
        for (path, reason) in [
            ("var/lib", "not an absolute path"), ("/", "the root directory"), ("/var/../etc", "'..'"),
            ("/proc/sys", "kernel file system"), ("/srv/a,b", "cannot take"),
        ] {
            expectSingleConfigurationProblem(
                Self.cluster("proof_private = [\"\(path)\"]"), line: 9, code: .invalidValue, reason)
        }
        expectSingleConfigurationProblem(
            Self.cluster("proof_private = \"/var/lib\""), line: 9, code: .wrongType, "array of strings")
    }

    @Test func aReload_takesProofSettingsInPlace() throws {
        let running = try loadConfiguration(Self.cluster("")).get()
        let loaded = try loadConfiguration(Self.cluster("verify_every = \"15m\"")).get()
        let changes = ConfigurationChanges.between(running, loaded, node: "beta")
        #expect(changes.groups.map(\.parts) == [[.proof]], "\(changes)")
        #expect(changes.atRestart.isEmpty, "\(changes.atRestart)")
    }
}
