// UnderstudyReplication: one share's mirror, and the runtime that the node's parts share. NodeRuntime holds the
// configuration, the state database, the status registry and a ShareContext per share (to be dissolved into
// narrow parts: see ARCHITECTURE.md). ShareCapture joins change capture to Core's aggregator and journal.
// A sync has two halves: PrimaryShareSync (scan, plan with Core's SyncPlanner, send with PlanSender and
// FileSender) and StandbyShareSync (manifest, apply with FileSystem's ReplicaWriter, save the resume point,
// acknowledge only what is durable: rule 8). ReplicaGate lets an archive cut between two syncs;
// ShareArchiving is all the mirror knows of archives.
