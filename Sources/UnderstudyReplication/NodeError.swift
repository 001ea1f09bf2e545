import UnderstudyCore

/// A node cannot start or go on: its configuration names no such node, a system call failed, a key is missing.
public typealias NodeError = CodedFailure<NodeErrorCode>

public enum NodeErrorCode: String, Sendable {
    /// The configuration has no node of that name.
    case unknownNode = "unknown-node"
    /// The cluster key is missing (`understudy init` makes it).
    case noClusterKey = "no-cluster-key"
    /// A system call failed (the message names it and the system's reason).
    case systemCall = "system-call"
    /// A request the node cannot take.
    case badRequest = "bad-request"
    /// A reload found problems in the configuration file (each as `file:line: message`); the running one stays.
    case configurationInvalid = "configuration-invalid"
    /// An agentless primary's share is not mounted where its `source` says (or the mount cannot be read).
    case agentlessSourceMissing = "agentless-source-missing"
}
