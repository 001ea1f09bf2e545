// UnderstudyFailover: who serves each group. FailoverService feeds Core's FailoverStateMachine (heartbeats,
// checks, the witness, the time) and performs the actions it returns, in order, from one queue per group
// through GroupActions (fence, epoch, promote, address, scripts). AddressHoldings keeps the service address and
// renews its kernel lifetime; AddressGuardian (a process of its own) removes it when the daemon ends (rule 4).
// Switchover and failback live in FailoverService+Switchover/+Failback (to become phases of the machine).
