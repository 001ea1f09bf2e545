import Testing
import UnderstudyCore

@Suite struct ServiceAddressTests {
    @Test func parses_ipv4_withPrefix() throws {
        let address = try ServiceAddress.parse("10.77.1.100/24")
        #expect(address.family == .ipv4)
        #expect(address.bytes == [10, 77, 1, 100])
        #expect(address.prefixLength == 24)
        #expect(address.address == "10.77.1.100")
        #expect(address.description == "10.77.1.100/24")
    }

    @Test func parses_ipv4_withoutPrefix_asHostAddress() throws {
        let address = try ServiceAddress.parse("192.168.0.1")
        #expect(address.prefixLength == 32)
        #expect(address.description == "192.168.0.1/32")
    }

    @Test func parses_ipv6_withCompression() throws {
        let address = try ServiceAddress.parse("fd00:77::100/64")
        #expect(address.family == .ipv6)
        #expect(address.bytes == [0xfd, 0, 0, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0])
        #expect(address.prefixLength == 64)
        #expect(address.description == "fd00:77::100/64")
    }

    @Test func parses_ipv6_withoutPrefix_asHostAddress() throws {
        let address = try ServiceAddress.parse("2001:db8::1")
        #expect(address.prefixLength == 128)
    }

    @Test(
        arguments: [
            ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
            ("2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"),
            ("2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
            ("::1", "::1"),
            ("fe80::", "fe80::"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),
            ("0:0:0:0:0:ffff:a00:1", "::ffff:10.0.0.1"),
            ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
            ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
        ] as [(String, String)])
    func prints_ipv6_inCanonicalForm(text: String, canonical: String) throws {
        #expect(try ServiceAddress.parse(text).address == canonical)
    }

    @Test func parses_ipv6_boundaryPrefixes() throws {
        #expect(try ServiceAddress.parse("fd00::1/1").prefixLength == 1)
        #expect(try ServiceAddress.parse("fd00::1/128").prefixLength == 128)
        #expect(try ServiceAddress.parse("10.0.0.1/1").prefixLength == 1)
        #expect(try ServiceAddress.parse("10.0.0.1/32").prefixLength == 32)
    }

    @Test func equalAddresses_areEqual_whateverTheSpelling() throws {
        #expect(try ServiceAddress.parse("FD00:0077:0::0100/64") == ServiceAddress.parse("fd00:77::100/64"))
        #expect(try ServiceAddress.parse("fd00:77::100/64") != ServiceAddress.parse("fd00:77::100/48"))
    }

    @Test(
        arguments: [
            ("", "it is empty"),
            ("10.0.0.300/24", "300 is more than 255"),
            ("10.0.0.1000", "1000 is more than 255"),
            ("10.0.0", "has 3 parts separated by '.', an IPv4 address has 4"),
            ("10.0.0.1.2", "has 5 parts"),
            ("10..0.1", "an empty part between dots"),
            ("10.0.0.01", "'01' has a leading zero"),
            ("10.0.0.x", "looks like a host name"),
            ("10.0.0.-1", "'-1' is not a decimal number"),
            (" 10.0.0.1", "contains a space"),
            ("10.0.0.1/24 ", "contains a space"),
            ("10.0.0.1/24x", "prefix '/24x' is not a number from 1 to 32"),
            ("10.0.0.1/", "the prefix length after '/' is missing"),
            ("/24", "the address before '/' is missing"),
            ("10.0.0.1/24/8", "more than one '/'"),
            ("10.0.0.1/0", "prefix /0 is outside 1...32 for an IPv4 address"),
            ("10.0.0.1/33", "prefix /33 is outside 1...32"),
            ("10.0.0.1/+8", "prefix '/+8' is not a number"),
            ("fd00::1/129", "prefix /129 is outside 1...128 for an IPv6 address"),
            ("fd00::1/0", "prefix /0 is outside 1...128"),
            ("fd00::1::2", "uses '::' more than once"),
            ("fd00:::1", "an empty group"),
            ("fd00:1", "has 2 groups; without '::' an IPv6 address needs 8"),
            ("1:2:3:4:5:6:7:8:9", "has 9 groups"),
            ("1:2:3:4::5:6:7:8", "has 8 groups besides '::'"),
            ("fd00::12345", "group '12345' has more than 4 hex digits"),
            ("fd00::g1", "group 'g1' is not hexadecimal"),
            (":fd00::1", "an empty group"),
            ("fd00::1:", "an empty group"),
            ("fe80::1%eth0", "a zone such as '%eth0' is not allowed"),
            ("::10.0.0.1:1", "an embedded IPv4 address may only end"),
            ("::ffff:10.0.0.256", "256 is more than 255"),
            ("0.0.0.0/8", "the unspecified address"),
            ("::/64", "the unspecified address"),
            ("224.0.0.18", "a multicast address"),
            ("ff02::1", "a multicast address"),
            ("alpha.example.com", "'alpha.example.com' looks like a host name; write the IP address itself"),
        ] as [(String, String)])
    func refuses_badAddress_sayingWhy(text: String, reason: String) {
        #expect {
            try ServiceAddress.parse(text)
        } throws: { error in
            guard let error = error as? ServiceAddressParseError else { return false }
            return error.reason.contains(reason) && error.text == text
        }
    }

    @Test func error_message_namesTheTextAndTheExpectedForm() {
        #expect(throws: ServiceAddressParseError(text: "10.0.0.300/24", reason: "300 is more than 255")) {
            try ServiceAddress.parse("10.0.0.300/24")
        }
        let error = ServiceAddressParseError(text: "10.0.0.300/24", reason: "300 is more than 255")
        #expect(
            error.message
                == "\"10.0.0.300/24\" is not an IPv4 or IPv6 address with an optional /prefix: 300 is more than 255")
        #expect(error.description == error.message)
    }
}
