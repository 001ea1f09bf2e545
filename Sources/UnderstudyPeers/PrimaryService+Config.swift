import UnderstudyCore
import UnderstudySupport
import UnderstudyTransport
import UnderstudyWire

extension PrimaryService {
    /// Answers a follower's `configAsk`: the versions of a group this node is the primary of, shared with the
    /// asker, after the sequence it holds.
    func serveConfigAsk(peer: String, group name: String, after: UInt64, writer: FrameWriter) async throws {
        let configuration = node.identity.configuration
        guard let configurationCopies = self.configuration, let group = configuration.groups[name],
            group.primary == node.name, group.standby == peer || group.offsite == peer
        else {
            try await writer.send(
                .error(
                    code: .unknownShare,
                    message:
                        "\(node.name) is not the primary of a group \(name) that tracks configuration files and has \(peer) as its standby or off-site node: are both nodes' configurations the same?"
                ))
            try await writer.flush()
            return
        }
        let copies = configurationCopies
        let answer = try await onThread {
            try copies.versions(group: name, after: Int(clamping: after), byteLimit: ConfigDocument.contentLimit)
        }
        let document = try answer.history.map { try ConfigDocument.encode(history: $0, answer.versions) } ?? []
        try await writer.send(
            .configVersions(group: name, highest: UInt64(max(0, answer.highest)), document: document))
        try await writer.flush()
    }
}
