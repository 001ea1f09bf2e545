/// Why `understudy failover GROUP` took nothing over (`FailoverStateMachine.manualFailover`); nothing changed.
extension FailoverStateMachine {
    public enum ManualFailoverRefusal: CodedError, Sendable, Equatable {
        case alreadyOwner(GroupOwnership)
        case peerAlive(heardSecondsAgo: Double)
        case busy(FailoverPhase)
        case staleData(GroupOwnership)
        case heldElsewhere(GroupOwnership)
        case replicaIncomplete
        case witnessDisagrees(String)
        /// An agentless primary's service passes a check.
        case serviceAnswers

        public var description: String {
            switch self {
            case .alreadyOwner(let ownership): "this node holds the group already (\(ownership))"
            case .peerAlive(let age):
                "the primary is alive (heard \(Self.format(age)) s ago); a takeover now would make two primaries until it steps down. Stop it first, or use --force to take over anyway (it steps down as soon as it hears the higher epoch)"
            case .busy(let phase): "the group is \(phase.rawValue); wait until that ends"
            case .staleData(let ownership):
                "this node stepped down when \(ownership.owner) took the group over (\(ownership)); its data stopped then, and serving it would lose every change made since. Use --force only if \(ownership.owner)'s data is lost for good"
            case .heldElsewhere(let ownership):
                "\(ownership.owner) holds the group at the recovery site (\(ownership)); this node follows it. To bring the group back, stop its services there, wait until this node is in step with it (`understudy status`), then run this again with --force: \(ownership.owner) steps down when it hears the higher epoch, and its changes not yet here come back as conflict copies"
            case .replicaIncomplete:
                "this node's replica has not completed its first sync; serving it would serve a partial copy. Use --force only if nothing better exists"
            case .serviceAnswers:
                "the primary's service still answers a check; it runs no understudy, so nothing would take its address away, and a takeover now would put two servers at one address. Stop it (or power it off) first, or use --force if you are sure it is off"
            case .witnessDisagrees(let why):
                "\(why); a takeover now could make two primaries. Use --force only if you know the primary is down"
            }
        }

        public var message: String { description }

        public var errorCode: String {
            switch self {
            case .alreadyOwner: "already-holder"
            case .peerAlive: "peer-alive"
            case .busy: "busy"
            case .staleData: "stale-data"
            case .heldElsewhere: "held-elsewhere"
            case .replicaIncomplete: "replica-incomplete"
            case .witnessDisagrees: "witness-disagrees"
            case .serviceAnswers: "service-answers"
            }
        }

        private static func format(_ seconds: Double) -> String {
            String(Double(Int(seconds * 10)) / 10)
        }
    }
}
