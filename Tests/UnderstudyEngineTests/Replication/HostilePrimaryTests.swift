#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import NIOCore
import Testing
@testable import UnderstudyCertificates
import UnderstudyCore
@testable import UnderstudyDelta
@testable import UnderstudyFileSystem
@testable import UnderstudyReplication
@testable import UnderstudyTransport
import UnderstudyWire
@testable import UnderstudyNode

/// A primary that holds the cluster's certificate but sends crafted frames: the real standby must refuse every
/// path that would leave the replica root, log it, and write nothing (DESIGN rule 2).
@Suite(.serialized)
struct HostilePrimaryTests {
    /// Serves one sync to the real standby: receives its manifest, sends `script`, then collects the replies
    /// until `syncDone` or until the standby drops the connection.
    static func runFakePrimary(
        _ cluster: TestCluster, script: @escaping @Sendable (FrameWriter) async throws -> Void
    )
        async throws -> [PeerMessage]
    {
        let identity = try CertificateStore(directory: cluster.configuration.certificatesDirectory).loadIdentity(
            node: "alpha")
        let address = cluster.configuration.nodes["alpha"]!.address
        let server = try await PeerTransport.listen(
            host: address.host, port: address.port, tls: try PeerTLS.serverContext(identity),
            allowedNodes: ["beta"], cluster: "test", logger: cluster.logs.logger("fake-alpha"))
        try cluster.start("beta")
        let replies = try await server.executeThenClose { inbound -> [PeerMessage] in
            var connections = inbound.makeAsyncIterator()
            guard let connection = try await connections.next() else { return [] }
            let peer = try await connection.peerNode.get()
            return try await connection.channel.executeThenClose { inbound, outbound in
                let writer = FrameWriter(outbound: outbound)
                var iterator = inbound.makeAsyncIterator()
                try await PeerHandshake.exchange(
                    writer: writer, cluster: "test", node: "alpha",
                    certifiedPeer: peer
                ) { try await iterator.next() }
                guard case .openShare = try await iterator.next() else { return [] }
                try await writer.send(
                    .syncScope(
                        SyncScope(paths: nil, upTo: ResumePoint(captureID: 0, sequence: 0), captureComplete: true)))
                try await writer.flush()
                while let message = try await iterator.next() {
                    if case .manifestEnd = message { break }
                }
                try await writer.send(.planSummary(SyncPlanSummary()))
                try await script(writer)
                try await writer.flush()
                var replies: [PeerMessage] = []
                do {
                    while let message = try await iterator.next() {
                        replies.append(message)
                        if case .syncDone = message { break }
                    }
                } catch {
                    // The standby closed the connection on a frame it refused.
                }
                return replies
            }
        }
        await cluster.stop("beta")
        return replies
    }

    static let attributes = FileAttributes(
        mode: 0o644, uid: 0, gid: 0, mtimeSeconds: 1_600_000_000, mtimeNanoseconds: 0)

    static func sendFile(_ path: String, _ content: String, via writer: FrameWriter) async throws {
        let bytes = Array(content.utf8)
        let compressor = try ZstdCompressor(level: 1)
        var compressed: [UInt8] = []
        try bytes.withUnsafeBytes { raw in
            try compressor.compress(raw, mode: .end) { compressed.append(contentsOf: $0) }
        }
        var hasher = SHA256()
        hasher.update(data: bytes)
        try await writer.send(
            .fileBegin(FileHeader(path: path, size: Int64(bytes.count), attributes: attributes, basis: .none)))
        try await writer.send(.fileChunk(ByteBuffer(bytes: compressed)))
        try await writer.send(.fileEnd(contentHash: Array(hasher.finalize())))
    }

    @Test(arguments: [
        PeerMessage.operation(.makeDirectory(path: "../escape")),
        .operation(.rename(from: "inside", to: "../../escape", contentHash: nil)),
        .fileBegin(FileHeader(path: "/tmp/understudy-absolute-escape", size: 1, attributes: attributes, basis: .none)),
        .operation(.delete(path: "a/../../escape")),
    ])
    func refusesFrame_withPathOutsideRoot_andWritesNothing(message: PeerMessage) async throws {
        let cluster = try TestCluster(label: "hostile-frame")
        defer { Task { await cluster.remove() } }
        TestTree.write(cluster.root, "escape", "must survive")
        let replies = try await Self.runFakePrimary(cluster) { writer in
            try await writer.send(message)
            try await writer.send(.syncEnd)
        }
        #expect(
            !replies.contains { if case .syncDone = $0 { true } else { false } },
            "the standby must not go on after a refused frame")
        #expect(try String(contentsOfFile: cluster.root + "/escape", encoding: .utf8) == "must survive")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/understudy-absolute-escape"))
        #expect(!(await cluster.logs.waitFor("path-refused")).isEmpty, "refusal is logged: \(cluster.logs.all)")
        let replicaEntries = ((try? FileManager.default.contentsOfDirectory(atPath: cluster.replica)) ?? []).filter {
            $0 != ReplicaAdoption.markerName
        }
        #expect(replicaEntries.isEmpty)
    }

    @Test func refusesEveryStep_thatTraversesASymlinkOutOfTheReplica() async throws {
        let cluster = try TestCluster(label: "hostile-symlink")
        defer { Task { await cluster.remove() } }
        let outside = cluster.root + "/outside"
        TestTree.write(outside, "victim", "original")
        let before = TestTree.snapshot(outside)
        let replies = try await Self.runFakePrimary(cluster) { writer in
            try await writer.send(.operation(.makeSymlink(path: "link", target: outside, attributes: Self.attributes)))
            try await Self.sendFile("link/evil", "planted", via: writer)
            try await Self.sendFile("link/victim", "overwritten", via: writer)
            try await writer.send(.operation(.makeDirectory(path: "link/newdir")))
            try await writer.send(.operation(.delete(path: "link/victim")))
            try await writer.send(
                .operation(.setAttributes(path: "link/victim", kind: .file, attributes: Self.attributes)))
            try await writer.send(.operation(.setDirectoryAttributes(path: "link", attributes: Self.attributes)))
            try await writer.send(
                .operation(.rename(from: "link/victim", to: "stolen", contentHash: [UInt8](repeating: 1, count: 32))))
            try await writer.send(.operation(.makeHardLink(path: "hardlink", target: "link/victim")))
            try await writer.send(
                .operation(.makeSymlink(path: "link/planted-link", target: "x", attributes: Self.attributes)))
            try await writer.send(.syncEnd)
        }
        let refused = replies.compactMap { message -> String? in
            if case .operationFailed(let path, .pathRefused, _) = message { return path }
            return nil
        }
        #expect(
            Set(refused) == [
                "link/evil", "link/victim", "link/newdir", "link", "stolen", "hardlink", "link/planted-link",
            ])
        #expect(refused.count == 9, "every traversing step is refused: \(replies)")
        guard case .syncDone(let report) = replies.last else {
            Issue.record("no syncDone: \(replies)")
            return
        }
        #expect(report.failures == 9)
        #expect(TestTree.differences(before, TestTree.snapshot(outside)) == [], "nothing outside the replica changed")
        #expect(!FileManager.default.fileExists(atPath: cluster.replica + "/stolen"))
        #expect(!FileManager.default.fileExists(atPath: cluster.replica + "/hardlink"))
        // Each refused path is logged (once: a peer repeating a hostile path does not flood the log).
        #expect(cluster.logs.containing("refused").count >= 7)
    }

    @Test func refusesRename_whoseSourceHoldsOtherContent() async throws {
        let cluster = try TestCluster(label: "hostile-rename")
        defer { Task { await cluster.remove() } }
        let replies = try await Self.runFakePrimary(cluster) { writer in
            try await Self.sendFile("a", "the replica's content", via: writer)
            try await writer.send(
                .operation(.rename(from: "a", to: "b", contentHash: [UInt8](repeating: 9, count: 32))))
            try await writer.send(.syncEnd)
        }
        #expect(
            replies.contains { if case .operationFailed("b", .contentMismatch, _) = $0 { true } else { false } },
            "\(replies)")
        #expect(try String(contentsOfFile: cluster.replica + "/a", encoding: .utf8) == "the replica's content")
        #expect(!FileManager.default.fileExists(atPath: cluster.replica + "/b"))
    }
}
