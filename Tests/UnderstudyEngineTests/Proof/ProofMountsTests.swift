import Testing
@testable import UnderstudyProof

/// Which mounts a proof makes read-only, read from a mount table.
@Suite struct ProofMountsTests {
    @Test func everyDataMountOnce_shallowestFirst_withItsOptions_butNoneOfTheKernels() {
        let table = """
            22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
            23 22 0:5 / /proc rw,nosuid,nodev,noexec,relatime shared:2 - proc proc rw
            24 22 0:6 / /sys rw,nosuid,nodev,noexec,relatime shared:3 - sysfs sysfs rw
            25 24 0:7 / /sys/fs/cgroup rw,nosuid,nodev,noexec shared:4 - tmpfs tmpfs rw
            26 22 0:8 / /dev rw,nosuid shared:5 - devtmpfs udev rw
            27 26 0:9 / /dev/shm rw,nosuid,nodev shared:6 - tmpfs tmpfs rw
            30 22 8:17 / /srv/my\\040data rw,nosuid,noexec,relatime shared:7 - xfs /dev/sdb1 rw
            31 22 0:40 / /mnt/primary rw,relatime shared:8 - nfs4 10.0.0.1:/srv rw
            32 22 0:41 / /mnt/huge rw,relatime shared:9 - hugetlbfs hugetlbfs rw
            33 22 0:42 / /mnt/sshfs rw,nosuid,nodev shared:10 - fuse.sshfs alpha:/srv rw
            34 22 8:1 /srv/x /srv/my\\040data rw,relatime shared:1 - ext4 /dev/sda1 rw
            """
        let mounts = ProofInside.dataMounts(in: table)
        #expect(mounts.map(\.path) == ["/", "/srv/my data", "/mnt/primary", "/mnt/huge", "/mnt/sshfs"])
        #expect(mounts.first { $0.path == "/srv/my data" }?.options == "rw,nosuid,noexec,relatime")
        #expect(mounts.first { $0.path == "/mnt/sshfs" }?.options == "rw,nosuid,nodev")
    }
}
