// UnderstudyProof: proofs of readiness on a group's standby (DESIGN flow 9, "Prove").
//
// ProofService (a Service) proves each group this node follows every `verify_every`, and at once when asked
// (`understudy verify GROUP`). A proof:
// 1. snapshots every share's replica under its replica gate, between two syncs (`ProofSnapshot`: hard links or
//    reflinks, as archives do; the mirror never writes a replica file in place, so the links stay that version);
// 2. starts `understudy proof-run` through util-linux's `unshare` in new mount, network and PID namespaces
//    (`ProofLauncher`). Inside (`ProofInside`, PID 1 of its namespace) each replica path gets an overlay whose lower
//    layer is the snapshot and whose upper layer is scratch space, and so do /run and `proof_private`; /tmp, /var/tmp
//    and /dev/shm are empty tmpfs, and every other data mount, /proc/sys and /sys are read-only: the services write
//    only to the scratch; the loopback interface comes up with the group's service address on it; then the
//    group's start steps run, its checks are polled until all pass (the measured RTO), and its stop steps run;
// 3. records the result (`ProofRecord`, in the state database), with the replica's age at the snapshot (the proven
//    RPO), and notifies when a proof fails or passes again.
//
// Why namespaces and not a lab: nothing a proof starts can answer on the live address (its network namespace has
// only loopback), write to the live replica (the overlays), or outlive it: when PID 1 of a PID namespace ends, the
// kernel kills everything else in it, and the mounts and the network namespace go with their last process. A proof
// killed at any moment (its `unshare` ends, and the kernel kills the PID 1 it forked) therefore leaves nothing
// running; the snapshot and scratch directories a crashed daemon leaves are removed at the next start.
//
// The tracked configuration: on the group's primary `ConfigTracker` (a Service) records a version of each
// `config_files` file whose content changed (the state database's `config_version`); the standby's copy arrives
// through Peers' `ConfigFollowService` and makes `ProofService` prove the group at once. A proof lays the primary's
// files, with the node's substitutions (Failover's `ConfigInstaller`), as overlays over their directories, so the
// services read them and the node's own files stay; a takeover writes them in place.
