/// A planned hand-over of a group to its peer (`understudy switchover`, `failback`, `failback = "auto"`), as the
/// node that holds the group runs it. Each step is an action of the group's `FailoverStateMachine`, performed by the
/// group's queue, whose outcome is the next event:
///
/// requested → `.stopServices` → `servicesStopped` → `.drain` → `drainFinished` → `.release` → `released` →
/// `.handOver(next)` → `handOverStored` → (the peer takes the group at `next`) → `peerReported(.active)` →
/// `.handOverEnded(.done)`.
///
/// A step that fails leaves the group with exactly one holder: before the new epoch is stored the node starts its
/// services again (`.acquire`); after, the peer holds it and this node follows.
public struct HandOver: Sendable, Equatable {
    public enum Step: String, Sendable, Equatable {
        case stoppingServices = "stopping-services"
        case draining
        case releasing
        case storing
        /// The new epoch is stored: this node follows, and waits to hear the peer serving.
        case awaitingPeer = "awaiting-peer"
    }

    /// How a hand-over ended, for the report and the notification.
    public enum Outcome: Sendable, Equatable {
        /// The peer serves the group. `outage`: from stopping the services to hearing the peer serve;
        /// `sinceRelease`: from giving up the address to then.
        case done(outage: Double, sinceRelease: Double)
        /// The follower did not acknowledge every change in time: nothing was handed over, services start again here.
        case notDrained(timeout: Double)
        /// The new epoch could not be stored: nothing was handed over, services start again here.
        case notStored
        /// The peer holds `next` but was not heard serving within `waited` seconds.
        case peerNotSeen(GroupOwnership, waited: Double)
        /// A newer ownership arrived during the hand-over: this node gives the group up to it instead.
        case overtaken(GroupOwnership)

        public var succeeded: Bool {
            if case .done = self { return true }
            return false
        }

        /// The stable code of a hand-over that did not end done (nil when it did).
        public var errorCode: String? {
            switch self {
            case .done: nil
            case .notDrained: "not-drained"
            case .notStored: "not-stored"
            case .peerNotSeen: "peer-not-seen"
            case .overtaken: "overtaken"
            }
        }
    }

    public enum Refusal: CodedError, Sendable, Equatable {
        case notServing(FailoverPhase)
        case underWay(Step)

        public var description: String {
            switch self {
            case .notServing(let phase):
                "this node does not serve the group (phase \(phase.rawValue)); run it on the node that does"
            case .underWay(let step):
                "a switchover of the group is under way (\(step.rawValue)); `understudy status` shows when it ends"
            }
        }

        public var message: String { description }

        public var errorCode: String {
            switch self {
            case .notServing: "not-serving"
            case .underWay: "busy"
            }
        }
    }

    /// How long the node that handed the group over waits to hear its peer serving it.
    public static let peerWait = 30.0

    public internal(set) var step: Step
    /// The peer the group goes to.
    public let peer: String
    /// The ownership handed over: the current one, taken over by the peer.
    public let next: GroupOwnership
    /// Hand over even when the mirror did not drain in time (the rejoin keeps what differs as conflicts).
    public let force: Bool
    /// How long the drain may take.
    public let drainTimeout: Double
    /// When the services began to stop: the outage counts from here.
    public let startedAt: Double
    public internal(set) var releasedAt: Double?
    public internal(set) var storedAt: Double?
}
