// UnderstudyHealth: what tells a node whether its peers are alive. HeartbeatService sends and receives UDP
// heartbeats on every link from threads of its own (so a busy pool never delays one), authenticated with the
// cluster key (HeartbeatAuthenticator) and guarded against replay (HeartbeatSequenceStore keeps the sequence
// across restarts). CheckProbe runs a configured service check (TCP, HTTP(S), command). Verdicts are not made
// here: the failover state machine (Core) decides from what this module reports.
