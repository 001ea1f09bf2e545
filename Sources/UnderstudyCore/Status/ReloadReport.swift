/// What a reload did (`understudy reload`, SIGHUP): the configuration file it read, the changes the running node took
/// in place, and those that wait for the next restart. A file with problems is not a report: it is refused, and the
/// running configuration stays.
public struct ReloadReport: Sendable, Equatable, Codable {
    /// The configuration file that was read.
    public var configuration: String
    /// The changes applied at once, as an administrator names them ("[notify]", "the bandwidth of group web").
    public var applied: [String]
    /// The changes the file holds that take effect only when the daemon restarts ("[heartbeat]", "group mail added").
    public var atRestart: [String]

    public init(configuration: String, applied: [String] = [], atRestart: [String] = []) {
        self.configuration = configuration
        self.applied = applied
        self.atRestart = atRestart
    }

    /// The file holds nothing the running node does not already run with (or wait for).
    public var unchanged: Bool { applied.isEmpty && atRestart.isEmpty }

    /// The report for people, a line each: what was applied, what waits for a restart, or that nothing changed.
    public var lines: [String] {
        unchanged ? ["\(configuration) is valid and unchanged"] : [appliedLine, restartLine].compactMap { $0 }
    }

    /// "applied the changes to [notify], the bandwidth of group web"; nil when nothing was.
    public var appliedLine: String? {
        applied.isEmpty ? nil : "applied the changes to \(applied.joined(separator: ", "))"
    }

    /// What waits for the next restart, in one line; nil when nothing does.
    public var restartLine: String? {
        atRestart.isEmpty
            ? nil
            : "\(configuration) is valid; these changes take effect when the daemon restarts: \(atRestart.joined(separator: "; "))"
    }
}
