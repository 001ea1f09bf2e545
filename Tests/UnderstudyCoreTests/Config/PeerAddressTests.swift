import Testing
import UnderstudyCore

@Suite struct PeerAddressTests {
    @Test(
        arguments: [
            ("alpha.example.com:7700", "alpha.example.com", 7700, "alpha.example.com:7700"),
            ("10.0.0.1:1", "10.0.0.1", 1, "10.0.0.1:1"),
            ("[::1]:7700", "::1", 7700, "[::1]:7700"),
            ("[fe80::1:2]:65535", "fe80::1:2", 65535, "[fe80::1:2]:65535"),
            ("node_1:80", "node_1", 80, "node_1:80"),
        ] as [(String, String, Int, String)])
    func parses_hostAndPort(text: String, host: String, port: Int, description: String) throws {
        let address = try PeerAddress.parse(text)
        #expect(address == PeerAddress(host: host, port: port))
        #expect(address.description == description)
    }

    @Test(
        arguments: [
            ("", "it is empty"),
            ("alpha", "the port is missing"),
            ("alpha:", "the port is missing"),
            (":7700", "the host is empty"),
            ("[]:7700", "the host is empty"),
            ("alpha:0", "port '0' is not a number from 1 to 65535"),
            ("alpha:65536", "port '65536' is not a number from 1 to 65535"),
            ("alpha:http", "port 'http' is not a number"),
            ("alpha:-1", "port '-1' is not a number"),
            ("::1:7700", "an IPv6 address must be in brackets"),
            ("[::1]7700", "the port is missing after ']'"),
            ("[::1:7700", "'[' is not closed by ']'"),
            ("[alpha]:7700", "is not an IPv6 address"),
            ("al pha:7700", "is not a valid host name"),
            ("a..b:7700", "is not a valid host name"),
        ] as [(String, String)])
    func refuses_badAddress_sayingWhy(text: String, reason: String) {
        #expect {
            try PeerAddress.parse(text)
        } throws: { error in
            (error as? PeerAddressError)?.reason.contains(reason) == true
        }
    }

    @Test func treatsEveryLoopbackForm_asOneMachine() throws {
        let keys = try ["localhost:1", "127.0.0.1:2", "127.0.1.1:3", "[::1]:4", "LOCALHOST:5"].map {
            try PeerAddress.parse($0).machineKey
        }
        #expect(Set(keys).count == 1)
        #expect(try PeerAddress.parse("Alpha:1").machineKey == PeerAddress.parse("alpha:2").machineKey)
        #expect(try PeerAddress.parse("alpha:1").machineKey != PeerAddress.parse("beta:1").machineKey)
        #expect(try !PeerAddress.parse("10.0.0.1:1").isLoopback)
    }
}
