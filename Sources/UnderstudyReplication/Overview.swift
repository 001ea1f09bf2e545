// UnderstudyReplication: one share's mirror, and the named parts of a node that the other modules take through
// narrow protocols of their own: LocalNode (name, configuration, settings), ShareTable (a ShareContext per
// share), OwnershipTable (who holds each group, and its news), EventLog, StatusRegistry, the Broadcast streams.
// ShareCapture joins change capture to Core's aggregator and journal; CaptureService runs the captures of the
// groups the node holds, as a Service.
// A sync has two halves, each a pure state machine of UnderstudySession that this module's I/O code drives:
// PrimaryShareSync feeds PrimarySyncMachine the standby's messages, makes the plan (Core's SyncPlanner) and has
// PlanSender perform the machine's stream in order (files read by FileSender); StandbyShareSync feeds
// StandbySyncMachine the primary's messages, and Session's StandbyStepRunner performs its steps on a DiskReplica
// (the file-system protocol ReplicaFiles over FileSystem's ReplicaWriter), telling ReplicaStepsReport (status, log,
// resume point): the resume point is saved, and the primary told, only once the steps are durable (rule 8).
// ReplicaGate lets an archive cut between two syncs; ShareArchiving is all the mirror knows of archives.
