import Logging
import NIOCore
import NIOSSL
import UnderstudyCore
import UnderstudyReplication
import UnderstudyTransport
import UnderstudyWire

/// `understudy switchover` (or `failback`) run on the node that follows a group: the request goes to the node
/// that serves it, over a peer connection of its own (TLS, both certificates checked, the usual hello), and that
/// node's report comes back. The serving node runs the switchover exactly as if it had been asked there.
struct SwitchoverForwarder {
    /// This node, as a party to the peer handshake (its name, the configuration, the ownerships it knows).
    let node: any HandshakeParty
    let logger: Logger
    let tls: NIOSSLContext

    func ask(_ holder: String, group: String, failback: Bool, force: Bool, dryRun: Bool) async -> ControlResponse {
        guard node.configuration.nodes[holder] != nil else {
            return ControlResponse.refused(
                "\(holder), which serves group \(group), is not a node of \(node.configuration.sourcePath)")
        }
        let verb = failback ? "failback" : "switchover"
        logger.notice(
            "group \(group): \(verb) asked for here; asking \(holder), which serves the group, to run it")
        do {
            let (ok, text, code) = try await PeerConversation.with(holder, node: node, tls: tls, logger: logger) {
                writer, iterator in
                try await writer.send(.switchoverAsk(group: group, failback: failback, force: force, dryRun: dryRun))
                try await writer.flush()
                while let message = try await iterator.next() {
                    switch message {
                    case .changesPending:
                        continue  // the serving node's notices go to every connection of this peer
                    case .switchoverReport(let ok, let text, let code):
                        return (ok, text, code)
                    case .error(let code, let text):
                        throw PeerSessionError.remote(code, text)
                    default:
                        throw PeerSessionError.unexpected(message, "instead of the switchover's report")
                    }
                }
                throw PeerSessionError.closed("before reporting the \(verb)")
            }
            let answer = "(run by \(holder), which served group \(group))\n" + text
            return ok ? ControlResponse.done(answer) : ControlResponse.refused(answer, code: code)
        } catch {
            return ControlResponse.refused(
                "could not ask \(holder), which serves group \(group), to run the \(verb): \(error); run `understudy \(verb) \(group)` there"
            )
        }
    }
}
