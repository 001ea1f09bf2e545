import UnderstudyFileSystem

/// What `understudy doctor` reads of the machine it runs on: the seam between the judgements (`Doctor`, pure) and
/// the system calls (`LinuxMachine`), so that each judgement is tested with the facts it is given.
public protocol DoctorMachine: Sendable {
    /// The process's effective capabilities (bit N is capability N), nil when they cannot be read.
    func effectiveCapabilities() -> UInt64?
    /// Whether fanotify can watch the whole file system holding `path` and find paths from its events: 0, or the
    /// errno that stops it (EPERM without CAP_SYS_ADMIN, EINVAL on an older kernel, ENODEV/EXDEV on file systems
    /// that cannot report file handles).
    func fanotifyProblem(on path: String) -> Int32
    /// inotify's limit of watches per user (`fs.inotify.max_user_watches`), nil when unknown.
    func inotifyWatchLimit() -> Int?
    /// The directories in the tree at `path` (itself included), counted up to `limit` at most; nil when the tree
    /// cannot be read.
    func directories(under path: String, countingUpTo limit: Int) -> Int?
    /// Why a listener could not bind `host:port` now (an errno: EADDRINUSE, EADDRNOTAVAIL, EACCES), nil when it can.
    func bindProblem(host: String, port: Int, udp: Bool) -> Int32?
    /// What a TCP connection to `host:port` (from the local address `source` when given) met within `timeout`.
    func connect(host: String, port: Int, from source: String?, timeout: Double) -> ConnectOutcome
    /// The addresses each network interface holds, as text ("eth0": ["192.168.1.11", "fe80::1"]).
    func interfaceAddresses() -> [String: [String]]
    /// Whether the kernel's clock is kept synchronized (NTP), and its estimated error; nil when unknown.
    func clockSynchronization() -> (synchronized: Bool, maximumErrorSeconds: Double)?
    /// Whether `program` is an executable file: a path (with a slash), or a name found on PATH.
    func isExecutable(program: String) -> Bool
    /// The mode of the file at `path`, nil when there is none.
    func fileMode(_ path: String) -> UInt32?
    /// The bytes free to unprivileged users on the file system holding `path` (or its nearest existing parent).
    func freeBytes(at path: String) -> Int64?
    /// The mount that holds `path`, nil when it cannot be told (no such path).
    func mount(containing path: String) -> MountPoint?
}

/// How a TCP connection attempt ended.
public enum ConnectOutcome: Sendable, Equatable {
    /// Something listens there.
    case connected
    /// The host answered that nothing listens on the port: it is reachable.
    case refused
    /// No answer within the time: the host or the path is down, or a firewall drops the packets.
    case noAnswer
    /// The local system refused (no route, an address not on this machine): its reason.
    case failed(String)
}
