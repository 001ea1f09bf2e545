#if canImport(Glibc)
import Glibc
#endif
import Testing
import UnderstudyCore
import UnderstudyDoctor
import UnderstudyFileSystem

/// `understudy doctor`'s judgements, each from the facts a machine reports.
struct DoctorTests {
    static let text = """
        cluster = "shop"
        certificates = "/etc/understudy/certs"

        [nodes.web1]
        address = "10.0.0.1:7700"
        [nodes.web1.links]
        lan = "10.0.0.1"
        backup = "10.9.0.1"

        [nodes.web2]
        address = "10.0.0.2:7700"
        [nodes.web2.links]
        lan = "10.0.0.2"
        backup = "10.9.0.2"
        [nodes.web2.isolation_check]
        type = "command"
        command = "ping -c 1 10.0.0.254"

        [groups.www]
        primary = "web1"
        standby = "web2"
        service_address = "10.0.0.100/24"
        interface = "eth0"
        start = ["cd /srv && systemctl start nginx"]
        stop = ["LANG=C systemctl stop nginx"]
        fence = '/usr/local/sbin/power-off "$UNDERSTUDY_PEER"'

        [[groups.www.shares]]
        name = "site"
        source = "/srv/www"
        replica = "/srv/replica"
        """

    let configuration = try! ConfigurationLoader.load(text: text, path: "/etc/understudy/understudy.toml").get()

    /// The files a node that was set up has: its certificates (keys private) and its trees.
    static let installed: [String: UInt32] = [
        "/etc/understudy/certs/ca.pem": 0o100644, "/etc/understudy/certs/web2.pem": 0o100644,
        "/etc/understudy/certs/web2-key.pem": 0o100600, "/etc/understudy/certs/cluster.key": 0o100600,
        "/etc/understudy/certs/web1.pem": 0o100644, "/etc/understudy/certs/web1-key.pem": 0o100600,
        "/srv/www": 0o040755, "/srv/replica": 0o040755,
    ]

    func findings(
        _ node: String = "web2", running: Bool = false, _ change: (inout FakeMachine) -> Void = { _ in }
    ) -> [DoctorFinding] {
        var machine = FakeMachine(files: Self.installed)
        change(&machine)
        return Doctor(configuration: configuration, node: node, machine: machine, daemonRunning: running).findings()
    }

    func only(_ findings: [DoctorFinding], _ area: String) -> [DoctorFinding] { findings.filter { $0.area == area } }

    @Test func aHealthyStandby_isAllWell_andCanStart() {
        // Nothing answers at the service address yet.
        let all = findings { $0.answers = ["10.0.0.100": .noAnswer] }
        #expect(all.allSatisfy { $0.verdict == .ok }, "\(all.filter { $0.verdict != .ok })")
        #expect(Doctor.canStart(all))
        for area in ["capabilities", "state", "certificates", "change capture", "port", "peer", "clock", "command"] {
            #expect(all.contains { $0.area == area }, "no \(area) finding")
        }
        // The mirror, then each link to the peer.
        #expect(only(all, "peer").map(\.message).count == 3)
    }

    @Test func anAgentlessSource_mustBeAMountOfANetworkFileSystem() throws {
        let text =
            Self.text + """

                [groups.nas]
                agentless = true
                primary = "nas1"
                standby = "web2"
                [[groups.nas.shares]]
                name = "public"
                source = "/mnt/nas1/public"
                replica = "/srv/nas-public"
                [[groups.nas.shares]]
                name = "home"
                source = "/mnt/nas1/home"
                replica = "/srv/nas-home"
                [[groups.nas.shares]]
                name = "gone"
                source = "/mnt/nas1/gone"
                replica = "/srv/nas-gone"
                """
        let configuration = try ConfigurationLoader.load(text: text, path: "/etc/understudy/understudy.toml").get()
        var machine = FakeMachine(files: Self.installed)
        machine.mounts = [
            "/mnt/nas1/public": MountPoint(path: "/mnt/nas1/public", type: "nfs4", source: "nas1:/public"),
            "/mnt/nas1/home": MountPoint(path: "/", type: "ext4", source: "/dev/vda"),
        ]
        let mounts = only(
            Doctor(configuration: configuration, node: "web2", machine: machine, daemonRunning: false).findings(),
            "mount")
        #expect(mounts.map(\.verdict) == [.ok, .problem, .problem], "\(mounts)")
        #expect(mounts[0].message == "nas/public: /mnt/nas1/public is on nfs4 nas1:/public")
        #expect(mounts[1].message.contains("is on ext4 (/dev/vda at /), not on a mount of nas1's share"))
        #expect(mounts[2].message.contains("does not exist"))
        #expect(mounts[2].remedy?.contains("/etc/fstab") == true)
        #expect(only(findings(), "mount").isEmpty, "no agentless group: nothing to say")
    }

    @Test func missingCapabilities_areProblems_butFanotifysIsAWarning() {
        let all = findings { $0.capabilities = 1 << 21 }
        let found = only(all, "capabilities")
        #expect(found.count == 2)
        #expect(found[0].verdict == .problem && found[0].message.contains("CAP_DAC_OVERRIDE"))
        #expect(found[1].verdict == .problem && found[1].message.contains("CAP_NET_ADMIN, CAP_NET_RAW"))
        #expect(!Doctor.canStart(all))
        let noSysAdmin = only(findings { $0.capabilities = ~UInt64(1 << 21) }, "capabilities")
        #expect(noSysAdmin.map(\.verdict) == [.warning])
        #expect(noSysAdmin[0].message.contains("inotify"))
    }

    @Test func withoutFanotify_inotifysLimit_isWeighedAgainstTheDirectories() {
        let fits = only(
            findings {
                $0.fanotify = EINVAL
                $0.directoryCounts = ["/srv/replica": 1000]
            }, "change capture")
        #expect(fits.map(\.verdict) == [.ok, .ok])
        #expect(fits[1].message == "inotify: 1000 directories to watch, fs.inotify.max_user_watches = 8192")
        let close = only(
            findings {
                $0.fanotify = EINVAL
                $0.directoryCounts = ["/srv/replica": 7000]
            }, "change capture")
        #expect(close.last?.verdict == .warning)
        let over = only(
            findings {
                $0.fanotify = EINVAL
                $0.directoryCounts = ["/srv/replica": 50000]
            }, "change capture")
        #expect(over.last?.verdict == .problem)
        #expect(over.last?.message.contains("more than 8192 directories") == true)
        #expect(over.last?.remedy?.contains("fs.inotify.max_user_watches=16386") == true, "\(over)")
    }

    @Test func aMissingSource_isAProblemOnThePrimary_andAMissingReplicaIsMadeByTheFirstSync() {
        var files = Self.installed
        files["/srv/www"] = nil
        files["/srv/replica"] = nil
        files["/etc/understudy/certs/web1-key.pem"] = 0o100600
        let primary = only(
            findings("web1") {
                $0.files = files
                $0.interfaces["eth0"] = ["10.0.0.1"]
            }, "change capture")
        #expect(primary.map(\.verdict) == [.problem])
        #expect(primary[0].message == "www/site: the source /srv/www does not exist")
        #expect(only(findings { $0.files = files }, "change capture").isEmpty)
    }

    @Test func aTakenPort_saysWhatToDo_andTheRunningDaemonsPortsAreItsOwn() {
        let all = findings { $0.taken = ["10.0.0.2:7700": EADDRINUSE, "10.9.0.2:7701/udp": EADDRNOTAVAIL] }
        let ports = only(all, "port").filter { $0.verdict == .problem }
        #expect(ports.count == 2)
        #expect(ports[0].message == "10.0.0.2:7700/tcp, for the mirror, is taken by another program")
        #expect(ports[0].remedy?.contains("ss -tlnp 'sport = :7700'") == true)
        #expect(ports[1].message == "10.9.0.2, for heartbeats on link backup, is not an address of this machine")
        let running = only(findings(running: true) { $0.taken = ["10.0.0.2:7700": EADDRINUSE] }, "port")
        #expect(running.map(\.verdict) == [.ok])
        #expect(running[0].message.hasPrefix("the running daemon holds the mirror (10.0.0.2:7700)"))
    }

    @Test func aPeer_refusing_isReachable_butSilent_isAProblem_perLink() {
        let all = findings { $0.answers = ["10.0.0.1:7700": .refused, "10.9.0.1": .noAnswer] }
        let peers = only(all, "peer")
        #expect(peers.map(\.verdict) == [.warning, .ok, .problem], "\(peers)")
        #expect(peers[0].message == "web1 (10.0.0.1) is reachable, but nothing listens on 10.0.0.1:7700")
        #expect(peers[1].message == "web1 answers on link lan: 10.0.0.1 from 10.0.0.2")
        #expect(
            peers[2].message
                == "no answer from web1 on link backup: 10.9.0.1 from 10.9.0.2: its heartbeats would be lost")
        #expect(peers[2].remedy?.contains("UDP 7701") == true)
        #expect(!Doctor.canStart(all))
    }

    @Test func anUnsynchronizedClock_isAWarning_withWhyItMatters() {
        let found = only(findings { $0.clock = (false, 16) }, "clock")
        #expect(found.map(\.verdict) == [.warning])
        #expect(found[0].message.contains("newer-wins"))
        #expect(only(findings { $0.clock = (true, 2.5) }, "clock")[0].message.contains("2.5 s"))
        #expect(only(findings { $0.clock = nil }, "clock").map(\.verdict) == [.skipped])
    }

    @Test func theServiceAddress_needsItsInterface_andMustNotBeHeldOutsideUnderstudy() {
        let noInterface = only(
            findings { $0.interfaces = ["lo": ["127.0.0.1"], "ens3": ["10.0.0.2"]] }, "service address")
        #expect(noInterface.map(\.verdict) == [.problem])
        #expect(noInterface[0].remedy?.contains("ens3, lo") == true)
        let held = only(findings { $0.interfaces["eth0"] = ["10.0.0.2", "10.0.0.100"] }, "service address")
        #expect(held.map(\.verdict) == [.warning])
        #expect(held[0].message == "www: 10.0.0.100 is already on this machine, with no understudy running")
        let heldByDaemon = only(
            findings(running: true) { $0.interfaces["eth0"] = ["10.0.0.2", "10.0.0.100"] }, "service address")
        #expect(heldByDaemon.map(\.verdict) == [.ok])
        let elsewhere = only(findings(), "service address")
        #expect(elsewhere.map(\.verdict) == [.warning], "an address answering before any understudy runs")
        let free = only(findings { $0.answers = ["10.0.0.100": .noAnswer] }, "service address")
        #expect(free.map(\.verdict) == [.ok])
    }

    @Test func everyCommandsProgram_mustBeHere_exceptTheShellsOwnWords() {
        let all = findings { $0.programs = ["systemctl", "ping"] }
        let commands = only(all, "command")
        #expect(commands.map(\.verdict) == [.problem])
        #expect(commands[0].message.hasPrefix("www fence: `/usr/local/sbin/power-off` is not an executable here"))
        #expect(Doctor.program(of: "LANG=C systemctl stop nginx") == "systemctl")
        #expect(Doctor.program(of: "cd /srv && make") == nil)
        #expect(Doctor.program(of: "'/opt/my tools/x' --go") == "/opt/my")
        #expect(Doctor.program(of: "   ") == nil)
    }

    @Test func certificates_missingOrReadableByOthers_sayWhatToCopyOrChmod() {
        var files = Self.installed
        files["/etc/understudy/certs/cluster.key"] = nil
        let missing = only(findings { $0.files = files }, "certificates")
        #expect(missing.map(\.verdict) == [.problem])
        #expect(missing[0].message == "/etc/understudy/certs lacks cluster.key")
        files["/etc/understudy/certs/cluster.key"] = 0o100644
        let open = only(findings { $0.files = files }, "certificates")
        #expect(open.map(\.verdict) == [.warning])
        #expect(open[0].remedy == "chmod 600 /etc/understudy/certs/cluster.key")
    }

    @Test func littleRoom_forTheStateOrTheReplica_isAWarning() {
        let all = findings { $0.free = 200 << 20 }
        let disk = only(all, "disk")
        #expect(disk.count == 2)
        #expect(disk.allSatisfy { $0.verdict == .warning && $0.message.contains("200.0 MiB") }, "\(disk)")
        #expect(Doctor.canStart(all))
    }
}
