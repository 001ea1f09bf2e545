// UnderstudyReplication: one share's mirror, and the runtime that the node's parts share. NodeRuntime holds the
// configuration, the state database, the status registry and a ShareContext per share (to be dissolved into
// narrow parts: see ARCHITECTURE.md). ShareCapture joins change capture to Core's aggregator and journal.
// A sync has two halves, each a pure state machine of UnderstudySession that this module's I/O code drives:
// PrimaryShareSync feeds PrimarySyncMachine the standby's messages, makes the plan (Core's SyncPlanner) and has
// PlanSender perform the machine's stream in order (files read by FileSender); StandbyShareSync feeds
// StandbySyncMachine the primary's messages and StandbyReplicaSteps performs its steps with FileSystem's
// ReplicaWriter, saving the resume point and acknowledging only what is durable (rule 8). ReplicaGate lets an
// archive cut between two syncs; ShareArchiving is all the mirror knows of archives.
