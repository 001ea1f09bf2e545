/// Returns once the current task is cancelled (a Service's way of waiting for its shutdown, wrapped in
/// `cancelWhenGracefulShutdown`).
public func waitUntilCancelled() async {
    while !Task.isCancelled {
        try? await Task.sleep(for: .seconds(3600))
    }
}
