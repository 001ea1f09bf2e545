// UnderstudyControl: the control socket (a Unix socket, owner-only from its first instant). ControlServer answers
// the CLI's ControlRequests from the parts that know (status, sync, archives, failover), ControlClient is the
// CLI's side, and SwitchoverForwarder carries a switchover asked on one node to the node that must start it.
