#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import UnderstudyNode
@testable import UnderstudyFileSystem

@Suite struct ReplicaAdoptionTests {
    let identity = ReplicaAdoption.Identity(cluster: "office", share: "files/data", node: "beta")

    @Test func aNewOrEmptyDirectory_isMarkedAndMirroredInto() throws {
        let root = TestTree.makeTemporaryDirectory("adopt-new")
        defer { TestTree.remove(root) }
        #expect(try ReplicaAdoption.check(root + "/new/replica", identity: identity) { [] } == .adoptedNow("new"))
        mkdir(root + "/empty", 0o755)
        #expect(try ReplicaAdoption.check(root + "/empty", identity: identity) { [] } == .adoptedNow("empty"))
        #expect(
            try ReplicaAdoption.check(root + "/empty", identity: identity) { [] } == .adopted, "marked from then on")
    }

    @Test func aDirectoryWithFiles_isRefused_andNothingInItChanges() throws {
        let root = TestTree.makeTemporaryDirectory("adopt-full")
        defer { TestTree.remove(root) }
        TestTree.write(root, "home/precious.txt", "mine")
        TestTree.write(root, "home/other.txt", "also mine")
        #expect(
            try ReplicaAdoption.check(root + "/home", identity: identity) { [] }
                == .refused(entries: 2, sample: ["other.txt", "precious.txt"]))
        #expect(!FileManager.default.fileExists(atPath: root + "/home/" + ReplicaAdoption.markerName))
        // Through a symlink, the same.
        symlink(root + "/home", root + "/link")
        #expect(
            try ReplicaAdoption.check(root + "/link", identity: identity) { [] }
                == .refused(entries: 2, sample: ["other.txt", "precious.txt"]))
    }

    @Test func theMarkOfAnotherShareOrCluster_doesNotCount() throws {
        let root = TestTree.makeTemporaryDirectory("adopt-other")
        defer { TestTree.remove(root) }
        TestTree.write(root, "r/a.txt", "a")
        try ReplicaAdoption.adoptKeeping(
            root + "/r", identity: .init(cluster: "office", share: "web/site", node: "beta"))
        #expect(
            try ReplicaAdoption.check(root + "/r", identity: identity) { [] } == .refused(entries: 1, sample: ["a.txt"])
        )
    }

    @Test func aReplicaMirroredIntoBeforeMarksExisted_isRecognizedByItsIndex() throws {
        let root = TestTree.makeTemporaryDirectory("adopt-legacy")
        defer { TestTree.remove(root) }
        TestTree.write(root, "r/a.txt", "a")
        TestTree.write(root, "r/b/c.txt", "c")
        #expect(
            try ReplicaAdoption.check(root + "/r", identity: identity) { ["a.txt", "b/c.txt"] }
                == .adoptedNow("mirrored into before"))
        #expect(try ReplicaAdoption.check(root + "/r", identity: identity) { [] } == .adopted)
        // An index of another tree (the replica moved to a directory in use) does not adopt it.
        TestTree.write(root, "s/x.txt", "x")
        #expect(
            try ReplicaAdoption.check(root + "/s", identity: identity) { ["a.txt", "b/c.txt"] }
                == .refused(entries: 1, sample: ["x.txt"]))
    }

    @Test func movingAside_keepsEverything_inASiblingDirectory() throws {
        let root = TestTree.makeTemporaryDirectory("adopt-aside")
        defer { TestTree.remove(root) }
        TestTree.write(root, "r/precious.txt", "mine")
        let aside = try ReplicaAdoption.adoptMovingAside(root + "/r", identity: identity, at: 1_795_000_000)
        #expect(aside == root + "/r.understudy-aside-20261118T110640Z")
        #expect(try String(contentsOfFile: aside + "/precious.txt", encoding: .utf8) == "mine")
        #expect(try ReplicaAdoption.check(root + "/r", identity: identity) { [] } == .adopted)
        #expect(TestTree.names(below: root + "/r") == [ReplicaAdoption.markerName])
    }
}
