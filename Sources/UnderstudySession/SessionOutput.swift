import UnderstudyWire

/// What a session's runner puts on the connection, in order: a message, or a flush of what was written.
package enum SessionOutput: Sendable {
    case send(PeerMessage)
    case flush
}
