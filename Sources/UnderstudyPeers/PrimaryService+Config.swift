import UnderstudyCore
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
                    message: "\(node.name) tracks no configuration of group \(name) for \(peer)"))
            try await writer.flush()
            return
        }
        let answer = try configurationCopies.versions(
            group: name, after: Int(clamping: after), byteLimit: ConfigDocument.contentLimit)
        let document = answer.versions.isEmpty ? [] : try ConfigDocument.encode(answer.versions)
        try await writer.send(
            .configVersions(group: name, highest: UInt64(max(0, answer.highest)), document: document))
        try await writer.flush()
    }
}
