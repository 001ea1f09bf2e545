import NIOCore

/// Wraps a channel a listener accepted so that, dropped before anyone served it, it closes itself instead of trapping.
///
/// NIO's async server channels can drop a child caught between its acceptance and the accept loop: the listener
/// closing (a daemon stopping) ends the stream of accepted channels, and those buffered in it are released unserved.
/// A child wrapped the usual way (`wrappingChannelSynchronously:`) traps then ("Deinited NIOAsyncWriter without
/// calling finish()", swift-nio#2637 and #3481: the fix NIO plans is a new bootstrap). Wrapped with deinit-based
/// teardown, it finishes its writer and closes at deinit. A connection that is served is closed by
/// `executeThenClose` as always; only the dropped ones rely on the deinit.
public enum AcceptedChannel {
    /// Must run on `channel`'s event loop (a child channel initializer).
    public static func wrap<Inbound: Sendable, Outbound: Sendable>(
        _ channel: Channel
    ) throws -> NIOAsyncChannel<Inbound, Outbound> {
        try (Teardown.self as any DeinitTeardown.Type).wrap(channel)
    }
}

/// Called through the protocol so that the deprecated initializer is named in one place only.
private protocol DeinitTeardown {
    static func wrap<Inbound: Sendable, Outbound: Sendable>(
        _ channel: Channel
    ) throws -> NIOAsyncChannel<
        Inbound, Outbound
    >
}

private enum Teardown: DeinitTeardown {
    @available(*, deprecated, message: "deinit-based teardown, on purpose: see AcceptedChannel")
    static func wrap<Inbound: Sendable, Outbound: Sendable>(
        _ channel: Channel
    ) throws -> NIOAsyncChannel<
        Inbound, Outbound
    > {
        try NIOAsyncChannel(synchronouslyWrapping: channel)
    }
}
