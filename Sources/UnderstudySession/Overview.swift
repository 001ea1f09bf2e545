// UnderstudySession: the replication protocol as pure state machines (see PeerMessage for the order of messages).
// A share's sync has one per side. StandbySyncMachine opens the sync, describes the replica within the scope the
// primary chose, and turns the primary's stream into steps for the replica (apply, receive a file, answer a
// signature request) before it acknowledges what is durable. PrimarySyncMachine collects the replica's manifest,
// asks for a plan once its own tree is scanned, and streams that plan: signature requests first, then every step
// that needs none, each delta as its signature arrives, directory times last, then the end of the sync.
// RejoinMachine is the rejoining node's half of a rejoin: the serving tree and the base in, its versions the
// serving node never had kept as conflict copies and pushed there, each confirmed before the next;
// ConflictCopyMachine is the serving node's side of one such copy. HelloCheck
// decides whether a connection's first message lets it go on (protocol version, cluster, certified name).
// Each takes messages and results and returns actions. The runners perform the file steps of those actions on a
// file-system protocol: StandbyStepRunner on ReplicaFiles, PlanSendRunner from SourceFiles, RejoinStepRunner on
// RejoinFiles, each putting what goes out (SessionOutput) on a closure and telling a host (progress, failures, the
// resume point). The I/O code (Replication's StandbyShareSync and PlanSender, Rejoin's RejoinSession) runs them on
// sockets and disks; the tests run the same runners on trees in memory. ManifestTransfer compresses manifests for
// the wire; ManifestChanges is what incremental ones carry.
