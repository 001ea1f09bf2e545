import Testing
import UnderstudyCore
import UnderstudySession
import UnderstudyWire

/// A peer connection starts only between two nodes of one cluster, speaking one protocol, each the node its
/// certificate names; anything else is refused with a code the peer is told.
@Suite struct HelloCheckTests {
    static let ownership = GroupOwnership(epoch: 3, owner: "beta")

    func check(_ message: PeerMessage) throws -> Result<PeerHello, HelloCheck.Refusal> {
        try HelloCheck.check(message, cluster: "shop", certifiedPeer: "beta")
    }

    @Test func theRightHello_isAccepted_withTheOwnershipsItCarries() throws {
        let hello = PeerHello(cluster: "shop", node: "beta", ownerships: ["www": Self.ownership])
        #expect(try check(.hello(hello)) == .success(hello))
    }

    @Test func anotherVersion_anotherCluster_orANameTheCertificateDoesNotGive_isRefusedWithItsCode() throws {
        let older = PeerHello(protocolVersion: PeerHello.currentProtocolVersion - 1, cluster: "shop", node: "beta")
        guard case .failure(let version) = try check(.hello(older)) else {
            Issue.record("an older protocol was accepted")
            return
        }
        #expect(version.code == .protocolVersion && version.text.contains("run the same understudy version"))
        guard case .failure(let cluster) = try check(.hello(PeerHello(cluster: "lab", node: "beta"))) else {
            Issue.record("another cluster was accepted")
            return
        }
        #expect(cluster.code == .wrongCluster && cluster.text.contains("'lab', not 'shop'"))
        guard case .failure(let impostor) = try check(.hello(PeerHello(cluster: "shop", node: "gamma"))) else {
            Issue.record("a node naming itself otherwise than its certificate was accepted")
            return
        }
        #expect(impostor.text.contains("says it is 'gamma' but its certificate names 'beta'"))
    }

    @Test func aFirstMessageThatIsNoHello_endsTheConnection_andThePeersErrorKeepsItsCode() {
        #expect(throws: PeerSessionError.self) { try check(.syncEnd) }
        do {
            _ = try check(.error(code: .wrongCluster, message: "not ours"))
            Issue.record("an error was taken for a hello")
        } catch {
            guard case .remote(.wrongCluster, "not ours") = error as? PeerSessionError else {
                Issue.record("\(error)")
                return
            }
        }
    }
}
