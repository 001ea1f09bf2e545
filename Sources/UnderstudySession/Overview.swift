// UnderstudySession: the replication protocol of one share's sync as two pure state machines, one per side
// (see PeerMessage for the order of messages). StandbySyncMachine opens the sync, describes the replica within the
// scope the primary chose, and turns the primary's stream into steps for the replica (apply, receive a file, answer
// a signature request) before it acknowledges what is durable. PrimarySyncMachine collects the replica's manifest,
// asks for a plan once its own tree is scanned, and streams that plan: signature requests first, then every step
// that needs none, each delta as its signature arrives, directory times last, then the end of the sync.
// Each takes messages and results and returns actions; the I/O code (UnderstudyReplication's PrimaryShareSync and
// StandbyShareSync) performs them on sockets and disks, and tests perform them on trees in memory.
// ManifestTransfer compresses manifests for the wire; ManifestChanges is the difference that incremental ones carry.
