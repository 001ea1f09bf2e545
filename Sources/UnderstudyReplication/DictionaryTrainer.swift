import Logging
import ServiceLifecycle
import UnderstudySupport

/// Trains the small-file dictionaries of the hops to off-site nodes (`SmallFileDictionary`), one at a time, on a
/// thread of their own (about a second of CPU each), when a sync to an off-site node asks for one (`dictionary(for:)`).
/// At the end (a graceful shutdown, or cancellation) the training under way finishes and no other starts.
package final class DictionaryTrainer: Service, Sendable {
    private let requests: AsyncStream<ShareContext>
    private let continuation: AsyncStream<ShareContext>.Continuation

    package init() {
        (requests, continuation) = AsyncStream.makeStream(of: ShareContext.self)
    }

    /// The share's dictionary for the off-site hop, if one pays; asks for its training when one is due (the first
    /// time, a day after the last, or once a share that had too few files has twice as many). The sync that asks goes
    /// on without one meanwhile.
    package func dictionary(for context: ShareContext) -> SmallFileDictionary? {
        let (dictionary, train) = context.dictionarySlot.current(
            now: context.now(), files: context.index.fileCount)
        if train { continuation.yield(context) }
        return dictionary
    }

    package func run() async {
        for await context in requests.cancelOnGracefulShutdown() {
            _ = try? await onThread { context.trainDictionary() }
        }
    }
}
