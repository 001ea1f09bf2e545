import UnderstudyArchive
import UnderstudyProof
import UnderstudyControl
import UnderstudyFailover
import UnderstudyPeers
import UnderstudyRejoin
import UnderstudyReplication

/// The runtime is what each part needs of the node: the composition root hands it to each part as that part's
/// narrow protocol, so a part's module sees only what it declared.
extension NodeRuntime: RejoinNode, ArchiveNode, ProofNode, ControlNode, FailoverNode, ServingNode, FollowingNode {}
extension ConfigurationReloader: ConfigurationReloading {}
