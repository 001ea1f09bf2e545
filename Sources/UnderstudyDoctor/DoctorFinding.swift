/// One result of `understudy doctor`: what was checked, how it stands, and what to do when it is not well.
public struct DoctorFinding: Codable, Sendable, Equatable {
    public enum Verdict: String, Codable, Sendable {
        /// Checked and well.
        case ok
        /// Works, but something should be done (a limit close, a clock not synchronized).
        case warning
        /// The daemon would fail or misbehave: fix it before starting.
        case problem
        /// Could not be checked here; the message says why.
        case skipped
    }

    /// What was checked: "capabilities", "change capture", "port", "peer", "clock", "disk", "service address",
    /// "command", "certificates", "state".
    public var area: String
    public var verdict: Verdict
    public var message: String
    /// What to do; nil when nothing is to be done.
    public var remedy: String?

    public init(_ area: String, _ verdict: Verdict, _ message: String, remedy: String? = nil) {
        self.area = area
        self.verdict = verdict
        self.message = message
        self.remedy = remedy
    }
}
