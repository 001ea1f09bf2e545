#if canImport(Glibc)
import Glibc
#endif
import UnderstudyDoctor
import UnderstudyFileSystem

/// A machine as the doctor's tests describe it: every fact set by the test, the defaults those of a healthy root
/// node (every capability, fanotify, free ports, peers that answer, a synchronized clock, room on every disk).
struct FakeMachine: DoctorMachine {
    var capabilities: UInt64? = ~0
    var fanotify: Int32 = 0
    var watchLimit: Int? = 8192
    var directoryCounts: [String: Int] = [:]
    var taken: [String: Int32] = [:]
    var answers: [String: ConnectOutcome] = [:]
    var interfaces: [String: [String]] = ["lo": ["127.0.0.1"], "eth0": ["10.0.0.2"]]
    var clock: (synchronized: Bool, maximumErrorSeconds: Double)? = (true, 0.02)
    var programs: Set<String> = ["systemctl", "/usr/local/sbin/power-off", "ping"]
    var files: [String: UInt32] = [:]
    var free: Int64? = 100 << 30
    var mounts: [String: MountPoint] = [:]

    func effectiveCapabilities() -> UInt64? { capabilities }
    func fanotifyProblem(on path: String) -> Int32 { fanotify }
    func inotifyWatchLimit() -> Int? { watchLimit }
    func directories(under path: String, countingUpTo limit: Int) -> Int? {
        directoryCounts[path].map { min($0, limit) }
    }
    func bindProblem(host: String, port: Int, udp: Bool) -> Int32? { taken["\(host):\(port)\(udp ? "/udp" : "")"] }
    func connect(host: String, port: Int, from source: String?, timeout: Double) -> ConnectOutcome {
        answers["\(host):\(port)"] ?? answers[host] ?? .connected
    }
    func interfaceAddresses() -> [String: [String]] { interfaces }
    func clockSynchronization() -> (synchronized: Bool, maximumErrorSeconds: Double)? { clock }
    func isExecutable(program: String) -> Bool { programs.contains(program) }
    func fileMode(_ path: String) -> UInt32? { files[path] }
    func freeBytes(at path: String) -> Int64? { free }
    func mount(containing path: String) -> MountPoint? { mounts[path] }
}
