import Foundation
import Testing
import UnderstudyCore
import UnderstudyRejoin
@testable import UnderstudyNode
import UnderstudyReplication
import UnderstudySupport

/// The serving node's tree holds both versions of a conflicted file; resolving keeps the chosen one, closes the
/// record, and never touches anything outside the share.
struct ConflictResolverTests {
    /// alpha (serving "files"), with one open conflict: d.txt (alpha's) and its copy (beta's).
    struct Fixture {
        let root: String
        let runtime: NodeRuntime
        let share: ShareContext
        let copy = "sub/d.understudy-conflict-beta.txt"

        init(_ label: String) async throws {
            root = TestTree.makeTemporaryDirectory(label)
            let configuration = try TestConfiguration.pair(root: root)
            runtime = try await onThread {
                try NodeRuntime(configuration: configuration, name: "alpha", logger: .init(label: "test"))
            }
            share = try #require(runtime.shares[group: "files", share: "data"])
            TestTree.write(share.localPath, "sub/d.txt", "alpha's version")
            TestTree.write(share.localPath, copy, "beta's version")
            let (runtime, copy, key) = (runtime, copy, share.key)
            try await onThread {
                try runtime.database.recordConflict(
                    ConflictInfo(
                        id: 0, share: key, path: "sub/d.txt", copy: copy, node: "beta", reason: "changed on both",
                        foundAt: Date(), copySize: 14, copyModified: Date()))
            }
        }

        func read(_ path: String) -> String? {
            try? String(contentsOfFile: share.localPath + "/" + path, encoding: .utf8)
        }
        func openConflicts() throws -> [ConflictInfo] { try runtime.database.conflicts(prefix: "files/") }
        func resolve(_ path: String, _ keep: ConflictKeep) throws(ConflictResolutionError) -> ConflictResolver.Outcome {
            try ConflictResolver.resolve(path, keep: keep, in: share, database: runtime.database)
        }
    }

    @Test func keepingLocal_removesTheCopy_andClosesTheRecord() async throws {
        let fixture = try await Fixture("resolve-local")
        defer { TestTree.remove(fixture.root) }
        let outcome = try fixture.resolve("sub/d.txt", .local)
        #expect(outcome.summary == "kept this node's version; \(fixture.copy) removed")
        #expect(fixture.read("sub/d.txt") == "alpha's version" && fixture.read(fixture.copy) == nil)
        #expect(try fixture.openConflicts().isEmpty)
        #expect(try fixture.runtime.database.conflicts(prefix: "files/", all: true).first?.resolved == "local")
    }

    @Test func keepingRemote_putsTheCopyInPlace_namedByItsCopy() async throws {
        let fixture = try await Fixture("resolve-remote")
        defer { TestTree.remove(fixture.root) }
        let outcome = try fixture.resolve(fixture.copy, .remote)
        #expect(outcome.summary == "beta's version is sub/d.txt now")
        #expect(fixture.read("sub/d.txt") == "beta's version" && fixture.read(fixture.copy) == nil)
        #expect(try fixture.openConflicts().isEmpty)
    }

    @Test func keepingBoth_leavesBothFiles_andOnlyClosesTheRecord() async throws {
        let fixture = try await Fixture("resolve-both")
        defer { TestTree.remove(fixture.root) }
        _ = try fixture.resolve("sub/d.txt", .both)
        #expect(fixture.read("sub/d.txt") == "alpha's version" && fixture.read(fixture.copy) == "beta's version")
        #expect(try fixture.openConflicts().isEmpty)
    }

    @Test func aPathWithNoOpenConflict_isRefusedWithItsCode_andChangesNothing() async throws {
        let fixture = try await Fixture("resolve-none")
        defer { TestTree.remove(fixture.root) }
        #expect {
            try fixture.resolve("sub/other.txt", .remote)
        } throws: { error in
            let refusal = error as? ConflictResolutionError
            return refusal?.code == .noOpenConflict && refusal?.message.contains("understudy conflicts files") == true
        }
        _ = try fixture.resolve("sub/d.txt", .local)
        // Resolved once: a second time finds nothing open.
        #expect(throws: ConflictResolutionError.self) { try fixture.resolve("sub/d.txt", .local) }
        #expect(fixture.read("sub/d.txt") == "alpha's version")
    }

    /// DESIGN rule 2: a directory of the share swapped for a symlink to elsewhere is not followed.
    @Test func aCopyBehindASymlinkedDirectory_isRefused_andNothingOutsideTheShareChanges() async throws {
        let fixture = try await Fixture("resolve-symlink")
        defer { TestTree.remove(fixture.root) }
        let outside = fixture.root + "/outside"
        TestTree.write(outside, "d.understudy-conflict-beta.txt", "not the share's")
        let sub = fixture.share.localPath + "/sub"
        try FileManager.default.removeItem(atPath: sub)
        try FileManager.default.createSymbolicLink(atPath: sub, withDestinationPath: outside)
        #expect {
            try fixture.resolve(fixture.copy, .local)
        } throws: { error in
            (error as? ConflictResolutionError)?.code == .fileOperation
        }
        #expect(
            (try? String(contentsOfFile: outside + "/d.understudy-conflict-beta.txt", encoding: .utf8))
                == "not the share's")
        #expect(try fixture.openConflicts().count == 1)
    }
}
