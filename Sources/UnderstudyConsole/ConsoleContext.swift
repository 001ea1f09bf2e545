import Hummingbird
import NIOCore

/// The console's request context: Hummingbird's core, and the client's address (for the login throttle and the
/// log).
struct ConsoleContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// "10.0.0.5", for messages and the throttle's key.
    var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }
}
