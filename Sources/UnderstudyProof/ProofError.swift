import UnderstudyCore

/// A proof that cannot be asked for as it was (nothing was started).
public typealias ProofError = CodedFailure<ProofErrorCode>

public enum ProofErrorCode: String, Sendable, CaseIterable {
    /// No such group in the configuration.
    case unknownGroup = "unknown-group"
    /// This node is not the group's standby, or serves the group now: proofs run on the node that follows it.
    case notFollower = "not-follower"
    /// A proof of the group is running already.
    case busy
    /// The group has no start steps and no checks: nothing to prove.
    case nothingToProve = "nothing-to-prove"
    /// The replica has not been in step since the daemon started: its age is unknown.
    case notInStep = "not-in-step"
}
