import Foundation
import Testing
@testable import UnderstudyCertificates
import UnderstudyCore
@testable import UnderstudyNode
@testable import UnderstudyPeers
@testable import UnderstudyReplication
import UnderstudySupport
@testable import UnderstudyTransport

/// Serving and following move with the group's holder: the node that holds a group captures its shares and follows
/// nobody; the node that lost it stops capturing and follows the holder.
struct GroupRolesTests {
    @Test func losingTheGroup_stopsItsCapture_andFollowsTheHolder_andTakingItBack_doesTheReverse() async throws {
        let cluster = try TestCluster(label: "group-roles")
        defer { TestTree.remove(cluster.root) }
        let configuration = cluster.configuration
        let alpha = try await onThread {
            try NodeRuntime(configuration: configuration, name: "alpha", logger: cluster.logs.logger("alpha"))
        }
        let context = try #require(alpha.shares[group: "files", share: "data"])
        let store = CertificateStore(directory: configuration.certificatesDirectory)
        let tls = try PeerTLS.clientContext(try store.loadIdentity(node: "alpha"))
        // Nothing below throws: what starts here is stopped at the end.
        let captures = CaptureService(
            contexts: alpha.shares.all, holds: { alpha.owns(group: $0) }, logger: alpha.logger)
        await captures.start()
        let followers = StandbyFollowers()
        let roles = GroupRoles(
            runtime: alpha, followers: followers, captures: captures, tls: tls,
            requests: ["files": SyncRequests()], links: PeerSessionsTests.NoLinks(),
            changes: alpha.holderChanges.subscribe())
        let running = [Task { await captures.run() }, Task { await roles.run() }]
        #expect(context.capture != nil && !followers.isFollowing(group: "files"), "alpha holds the group at first")

        alpha.setOwnership(GroupOwnership(epoch: 1, owner: "beta"), group: "files")
        let followsBeta = await eventually(seconds: 20) {
            context.capture == nil && followers.isFollowing(group: "files")
        }
        #expect(followsBeta, "beta took the group: alpha stops capturing and follows it")

        alpha.setOwnership(GroupOwnership(epoch: 2, owner: "alpha"), group: "files")
        let servesAgain = await eventually(seconds: 20) {
            context.capture != nil && !followers.isFollowing(group: "files")
        }
        #expect(servesAgain, "alpha took it back: it captures again and follows nobody")

        for task in running.reversed() {
            task.cancel()
            await task.value
        }
        await followers.stopAll()
        #expect(context.capture == nil, "the capture stopped with its Service")
    }
}
