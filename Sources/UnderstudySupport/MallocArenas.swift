import CLinux

/// The daemon's heap in few glibc arenas. Walks and syncs run on threads of their own, and glibc gives a busy thread
/// an arena of its own (up to eight per core), each of which keeps the heap it once grew to: after a full comparison
/// of a million files the primary stayed at 141 MiB with the default, 88 MiB with two arenas (docs/benchmarks.md).
public enum MallocArenas {
    /// Two arenas at most, unless the environment sets `MALLOC_ARENA_MAX` (which then wins). Called first thing at
    /// the daemon's start: arenas made before it are kept.
    public static func limit(to count: Int32 = 2) {
        _ = understudy_limit_malloc_arenas(count)
    }
}
