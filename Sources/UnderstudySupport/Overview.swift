// UnderstudySupport: the small tools every engine module leans on, none of which knows a share or a group.
//
// - ProcessRunner runs hook scripts and commands with a timeout, collecting their output and exit status
//   (rule 6), by posix_spawn and waitpid, never blocking the cooperative pool.
// - MonotonicClock is what durations and deadlines are measured on (a wall-clock step must not make a peer
//   look silent).
// - HTTP/ is a small HTTP(S) client on SwiftNIO for service checks and webhooks.
// - NetworkFailure turns NIO's and BoringSSL's errors into the few words an administrator needs; RefusalLog
//   rate-limits the warnings about strangers so junk on a port cannot fill the disk.
// - ResolvedPath resolves `..` and symlinks on disk before a path is compared with a protected one.
