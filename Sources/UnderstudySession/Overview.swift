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
// Each takes messages and results and returns actions; the I/O code (Replication's PrimaryShareSync and
// StandbyShareSync, Rejoin's RejoinSession) performs them on sockets and disks, and tests perform them on trees in
// memory. ManifestTransfer compresses manifests for the wire; ManifestChanges is what incremental ones carry.
