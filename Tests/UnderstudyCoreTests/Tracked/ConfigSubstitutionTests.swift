import Testing
import UnderstudyCore

/// A node's substitutions in the primary's configuration files.
@Suite struct ConfigSubstitutionTests {
    func apply(_ pairs: [(String, String)], _ text: String) -> String {
        String(
            decoding: ConfigSubstitution.apply(
                pairs.map { ConfigSubstitution(text: $0.0, replacement: $0.1) }, to: Array(text.utf8)), as: UTF8.self)
    }

    @Test func replacesEveryOccurrence_longestTextFirst_andNeverAReplacementAgain() {
        #expect(apply([("alpha", "beta")], "alpha alpha.lan xalphax") == "beta beta.lan xbetax")
        #expect(apply([("eth1", "ens4"), ("eth10", "ens5")], "eth1 eth10") == "ens4 ens5")
        #expect(apply([("a", "b"), ("b", "c")], "ab") == "bc")
        #expect(apply([("alpha", "alpha-beta")], "alpha") == "alpha-beta")
        #expect(apply([], "same") == "same")
    }

    @Test func substitutesBytes_soAFileThatIsNotUTF8IsSubstitutedToo() {
        let latin1: [UInt8] = [0x63, 0x61, 0x66, 0xE9, 0x20] + Array("alpha".utf8)
        let result = ConfigSubstitution.apply([ConfigSubstitution(text: "alpha", replacement: "beta")], to: latin1)
        #expect(result == [0x63, 0x61, 0x66, 0xE9, 0x20] + Array("beta".utf8))
    }
}
