import Testing
import UnderstudyCore

/// One group "web": alpha is the configured primary (epoch 0), beta its standby. Dead time 3 s, isolation time
/// 1.5 s; times are plain seconds from 0.
enum FailoverFixture {
    static let deadTime = 3.0
    static let isolationTime = 1.5
    static let alphaAtZero = GroupOwnership(epoch: 0, owner: "alpha")

    static func settings(
        node: String, mode: TakeoverConfiguration.Mode = .auto, fence: Bool = false,
        checks: Bool = true
    ) -> FailoverStateMachine.Settings {
        FailoverStateMachine.Settings(
            node: node, group: "web", mode: mode, deadTime: deadTime, isolationTime: isolationTime,
            hasFence: fence, hasChecks: checks)
    }

    /// beta, watching alpha, started at `now`.
    static func standby(
        mode: TakeoverConfiguration.Mode = .auto, fence: Bool = false, checks: Bool = true,
        ownership: GroupOwnership = alphaAtZero, at now: Double = 0
    ) -> FailoverStateMachine {
        FailoverStateMachine(
            settings: settings(node: "beta", mode: mode, fence: fence, checks: checks), ownership: ownership, at: now)
    }

    /// alpha, owner by epoch, just started at `now`.
    static func owner(
        mode: TakeoverConfiguration.Mode = .auto, ownership: GroupOwnership = alphaAtZero,
        at now: Double = 0
    ) -> FailoverStateMachine {
        FailoverStateMachine(settings: settings(node: "alpha", mode: mode), ownership: ownership, at: now)
    }

    /// alpha, holding the group (heard beta with the same ownership at 1, acquired at 2).
    static func active(ownership: GroupOwnership = alphaAtZero) -> FailoverStateMachine {
        var machine = owner(ownership: ownership)
        _ = machine.peerHeard(ownership, at: 1)
        _ = machine.acquired(succeeded: true, detail: "", at: 2)
        #expect(machine.phase == .active)
        return machine
    }

    /// beta, having taken the group over from alpha (epoch 1) at 10.
    static func takenOver() -> FailoverStateMachine {
        var machine = standby()
        _ = machine.tick(seen(10, silence: deadTime, failing: true))
        _ = machine.takeoverFinished(stored: true, succeeded: true, detail: "", at: 10.5)
        #expect(machine.phase == .active)
        return machine
    }
}

/// What the node observes at `now`.
func seen(_ now: Double, silence: Double, failing: Bool, isolation: Bool? = nil) -> FailoverStateMachine.Observation {
    FailoverStateMachine.Observation(
        now: now, peerSilence: silence, serviceFailing: failing, isolationFailing: isolation)
}

extension FailoverAction {
    var notifiedKind: NotificationEvent.Kind? {
        if case .notify(let kind, _, _, _, _) = self { return kind }
        return nil
    }

    /// Adds the service address: the two actions a stepped-down node must never produce by itself.
    var takesTheAddress: Bool {
        switch self {
        case .acquire, .takeOver: true
        default: false
        }
    }

    var isRelease: Bool {
        if case .release = self { return true }
        return false
    }
}

extension Array where Element == FailoverAction {
    /// The kinds notified, in order.
    var notified: [NotificationEvent.Kind] { compactMap(\.notifiedKind) }

    /// Any of them adds the service address.
    var takeTheAddress: Bool { contains { $0.takesTheAddress } }

    var includeARelease: Bool { contains { $0.isRelease } }

    /// Everything but the notifications: what the node does.
    var operations: [FailoverAction] { filter { $0.notifiedKind == nil } }

    /// The one notification of `kind` (fails the test when there is not exactly one).
    func notification(
        _ kind: NotificationEvent.Kind, sourceLocation: SourceLocation = #_sourceLocation
    )
        -> (severity: NotificationEvent.Severity, topic: String, summary: String, detail: String)?
    {
        var found: [(NotificationEvent.Severity, String, String, String)] = []
        for action in self {
            if case .notify(kind, let severity, let topic, let summary, let detail) = action {
                found.append((severity, topic, summary, detail))
            }
        }
        #expect(
            found.count == 1, "expected one \(kind.rawValue) notification in \(self)", sourceLocation: sourceLocation)
        return found.first.map { (severity: $0.0, topic: $0.1, summary: $0.2, detail: $0.3) }
    }
}

/// A small deterministic generator (SplitMix64), so that a failing seed can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed &+ 0x9E37_79B9_7F4A_7C15
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func chance(_ probability: Double) -> Bool {
        Double.random(in: 0..<1, using: &self) < probability
    }
}
