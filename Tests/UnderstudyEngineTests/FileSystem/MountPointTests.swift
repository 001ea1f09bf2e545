import Testing
import UnderstudyCore
@testable import UnderstudyFileSystem
@testable import UnderstudyReplication

@Suite struct MountPointTests {
    static let mountInfo = """
        22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
        47 22 0:40 / /mnt/filer rw,nosuid,nodev,relatime - fuse.sshfs root@10.0.0.5:/srv rw,user_id=0,group_id=0
        48 22 0:41 / /mnt/nfs\\040share rw,relatime shared:7 - nfs4 filer:/export rw,vers=4.2
        49 22 0:42 / /mnt/empty rw - tmpfs tmpfs rw
        """

    @Test func theInnermostMount_holdingAPath_isFound_withEscapedSpacesRead() {
        let mounts = MountPoint.parse(Self.mountInfo)
        #expect(mounts.count == 4)
        #expect(mounts[2].path == "/mnt/nfs share")
        #expect(MountPoint.containing(resolved: "/mnt/filer/docs", in: mounts)?.type == "fuse.sshfs")
        #expect(MountPoint.containing(resolved: "/mnt/filer", in: mounts)?.source == "root@10.0.0.5:/srv")
        #expect(MountPoint.containing(resolved: "/mnt/filerx", in: mounts)?.path == "/", "a prefix is not a parent")
        #expect(MountPoint.containing(resolved: "/mnt/nfs share/a", in: mounts)?.type == "nfs4")
    }

    @Test func anAgentlessSource_mustBeOnANetworkFileSystem() throws {
        // The test's own root: whatever it is mounted as, "/" itself is the standby's root, never a primary's share.
        let text = "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
        #expect(throws: NodeError.self) { try AgentlessShareSync.checkSource("/tmp", mountInfo: text) }
        do {
            _ = try AgentlessShareSync.checkSource("/tmp", mountInfo: text)
        } catch let error as NodeError {
            #expect(error.code == .agentlessSourceMissing)
            #expect(error.message.contains("is on ext4 (/dev/vda mounted at /)"))
            #expect(error.message.contains("nothing is synced until it is"))
        }
        let sshfs = "22 1 254:0 / / rw - ext4 /dev/vda rw\n47 22 0:40 / /tmp rw - fuse.sshfs u@h:/d rw\n"
        #expect(try AgentlessShareSync.checkSource("/tmp", mountInfo: sshfs).type == "fuse.sshfs")
        #expect(throws: NodeError.self) { try AgentlessShareSync.checkSource("/nonexistent/x", mountInfo: sshfs) }
    }

    @Test func anEmptyMount_neverEmptiesAReplicaThatHoldsFiles() throws {
        let mount = MountPoint(path: "/mnt/filer", type: "nfs4", source: "filer:/export")
        let attributes = FileAttributes(mode: 0o755, uid: 0, gid: 0, mtimeSeconds: 0, mtimeNanoseconds: 0)
        let root = ManifestEntry(path: "", kind: .directory, size: 0, attributes: attributes)
        let file = ManifestEntry(path: "docs", kind: .directory, size: 0, attributes: attributes)
        #expect(throws: NodeError.self) {
            try AgentlessShareSync.refuseEmptying("/mnt/filer", scanned: [root], replica: [root, file], mount: mount)
        }
        // A first scan into an empty replica, or a source with entries, goes ahead.
        try AgentlessShareSync.refuseEmptying("/mnt/filer", scanned: [root], replica: [root], mount: mount)
        try AgentlessShareSync.refuseEmptying(
            "/mnt/filer", scanned: [root, file], replica: [root, file], mount: mount)
    }
}
