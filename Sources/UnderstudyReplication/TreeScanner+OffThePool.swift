import NIOConcurrencyHelpers
import UnderstudyCore
import UnderstudyFileSystem
import UnderstudySession
import UnderstudyState
import UnderstudySupport

extension TreeScanner {
    /// A scan on a thread of its own: a million files take seconds of `fstatat` and `readdir`, and the cooperative
    /// pool's threads (two on a two-core machine) stay free for the connections, the checks and the other shares.
    /// Cancelling the calling task stops the scan at its next directory, as it does a scan on the pool.
    /// - Parameter index: where content hashes come from (a verification needs every file's); none by default.
    package static func offThePool(
        path: String, create: Bool, filter: PathFilter, scope: [ScopedPath],
        index: any FileIndexLookup = FileIndexSnapshot()
    ) async throws -> Result {
        try await offThePool(path: path, create: create, filter: filter, index: index) { scanner, share in
            try scanner.scan(share, scope: scope)
        }
    }

    /// One slice of the share in path order (see `scan(_:slice:)`), on a thread of its own.
    package static func offThePool(
        path: String, create: Bool, filter: PathFilter, slice: PathSlice,
        index: any FileIndexLookup = FileIndexSnapshot()
    ) async throws -> Result {
        try await offThePool(path: path, create: create, filter: filter, index: index) { scanner, share in
            try scanner.scan(share, slice: slice)
        }
    }

    private static func offThePool(
        path: String, create: Bool, filter: PathFilter, index: any FileIndexLookup,
        walk: @escaping @Sendable (TreeScanner, ShareDirectory) throws -> Result
    ) async throws -> Result {
        let stopped = NIOLockedValueBox(false)
        return try await withTaskCancellationHandler {
            try await onThread {
                var scanner = TreeScanner(filter: filter, index: index)
                scanner.isCancelled = { stopped.withLockedValue { $0 } }
                return try walk(scanner, try ShareDirectory(path: path, create: create))
            }
        } onCancel: {
            stopped.withLockedValue { $0 = true }
        }
    }
}
