import UnderstudySession
import UnderstudyTransport

extension FrameWriter {
    /// Puts what a session's runner sends on the connection: a message, or a flush.
    package func emit(_ output: SessionOutput) async throws {
        switch output {
        case .send(let message): try await send(message)
        case .flush: try await flush()
        }
    }
}
