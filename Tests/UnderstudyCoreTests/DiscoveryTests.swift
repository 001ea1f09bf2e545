import Testing
import UnderstudyCore

struct DiscoveryTests {
    @Test func smbListing_keepsDiskShares_andLeavesOutAdministrativeSharesAndPrinters() {
        let listing = """
            Disk|public|Public files
            Disk|projects|The projects, "2026"
            Disk|admin$|
            IPC|IPC$|IPC Service (Samba 4.17.12-Debian)
            Printer|laser|Second floor
            SMB1 disabled -- no workgroup available
            Disk||broken line
            """
        let shares = DiscoveredShare.smb(fromListing: listing)
        #expect(shares.map(\.name) == ["public", "projects"])
        #expect(shares[1].detail == "The projects, \"2026\"")
        #expect(shares.allSatisfy { $0.kind == .smb })
    }

    @Test func nfsExports_arePathsWithTheirClients() {
        let exports = "/srv/www      10.0.0.0/24\n/export/home  *\r\nclnt_create: nonsense\n"
        let shares = DiscoveredShare.nfs(fromExports: exports)
        #expect(
            shares == [
                DiscoveredShare(kind: .nfs, name: "/srv/www", detail: "10.0.0.0/24"),
                DiscoveredShare(kind: .nfs, name: "/export/home", detail: "*"),
            ])
    }

    @Test func theSnippetForExports_isAValidConfiguration_onceTheStandbyIsThere() throws {
        let snippet = ConfigurationSnippet.of(
            host: "files.example.com",
            shares: [
                DiscoveredShare(kind: .nfs, name: "/srv/www", detail: "*"),
                DiscoveredShare(kind: .nfs, name: "/data/www", detail: "10.0.0.0/24"),
            ], standby: "beta")
        #expect(snippet.contains("[nodes.files-example-com]\naddress = \"files.example.com:7700\""))
        #expect(snippet.contains("name = \"www\"") && snippet.contains("name = \"www-2\""), "\(snippet)")
        let text = "cluster = \"c\"\n[nodes.beta]\naddress = \"10.0.0.2:7700\"\n" + snippet
        let loaded = ConfigurationLoader.load(text: text, path: "/etc/understudy/understudy.toml")
        let configuration = try loaded.get()
        #expect(configuration.groups["files-example-com"]?.shares.map(\.source) == ["/srv/www", "/data/www"])
    }

    @Test func anSMBShare_leavesItsSourceEmpty_whichCheckConfigRefusesAtItsLine() {
        let snippet = ConfigurationSnippet.of(
            host: "10.66.0.1",
            shares: [DiscoveredShare(kind: .smb, name: "pro\njects", detail: "a \"quoted\"\ncomment")],
            standby: "beta")
        #expect(snippet.contains("[groups.10-66-0-1]"))
        #expect(snippet.contains("name = \"pro-jects\""))
        #expect(
            snippet.contains(
                "source = \"\"   # FILL IN: the directory 10.66.0.1 shares by SMB as projects, \"a \"quoted\"comment\""),
            "\(snippet)")
        let text = "cluster = \"c\"\n[nodes.beta]\naddress = \"10.0.0.2:7700\"\n" + snippet
        switch ConfigurationLoader.load(text: text, path: "/etc/understudy/understudy.toml") {
        case .success: Issue.record("an empty source was accepted")
        case .failure(let problems): #expect("\(problems)".contains("source"), "\(problems)")
        }
    }

    @Test func anAgentlessSnippet_mountsEachShareOnTheStandby_andIsAValidConfigurationAsItIs() throws {
        let snippet = ConfigurationSnippet.of(
            host: "nas.example.com",
            shares: [
                DiscoveredShare(kind: .smb, name: "projects", detail: "The projects"),
                DiscoveredShare(kind: .nfs, name: "/export/projects", detail: "*"),
            ], standby: "beta", agentless: true)
        #expect(!snippet.contains("[nodes."), "the primary runs no understudy: \(snippet)")
        #expect(snippet.contains("agentless = true"))
        #expect(snippet.contains("# mount -t cifs //nas.example.com/projects /mnt/nas-example-com/projects -o ro"))
        #expect(snippet.contains("# mount -t nfs nas.example.com:/export/projects /mnt/nas-example-com/projects-2"))
        let text = "cluster = \"c\"\n[nodes.beta]\naddress = \"10.0.0.2:7700\"\n" + snippet
        let configuration = try ConfigurationLoader.load(text: text, path: "/etc/understudy/understudy.toml").get()
        let group = try #require(configuration.groups["nas-example-com"])
        #expect(group.agentless)
        #expect(group.shares.map(\.source) == ["/mnt/nas-example-com/projects", "/mnt/nas-example-com/projects-2"])
        #expect(
            group.shares.map(\.replica) == [
                "/srv/understudy/nas-example-com/projects", "/srv/understudy/nas-example-com/projects-2",
            ])
    }

    @Test func names_becomeValidTableNames() {
        #expect(ConfigurationSnippet.name("files.example.com") == "files-example-com")
        #expect(ConfigurationSnippet.name("--Öffentlich") == "ffentlich")
        #expect(ConfigurationSnippet.name("$$$") == "share")
        #expect(ConfigurationSnippet.name(String(repeating: "a", count: 100)).count == 64)
    }
}
