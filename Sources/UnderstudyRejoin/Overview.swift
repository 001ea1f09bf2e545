// UnderstudyRejoin: a node that served a group and lost it (a takeover) joins the node that serves it now.
// RejoinBase is what both last shared (saved at the takeover); RejoinSession has Session's RejoinStepRunner perform
// RejoinMachine on the share's tree (RejoinShareFiles), which sends back what changed here since as conflict copies,
// so the serving side keeps both versions of a file changed on both sides (rule 5). ConflictResolver settles a
// conflict later, through the share's directory.
