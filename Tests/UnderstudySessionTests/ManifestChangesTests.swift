import Testing
import UnderstudyCore
import UnderstudySession

struct ManifestChangesTests {
    func entry(_ path: String, size: Int64 = 1) -> ManifestEntry {
        ManifestEntry(
            path: path, kind: .file, size: size,
            attributes: FileAttributes(mode: 0o644, uid: 0, gid: 0, mtimeSeconds: 1, mtimeNanoseconds: 0))
    }

    @Test func findsChangedAddedAndRemovedEntries_inOnePass() {
        let old = [entry(""), entry("a"), entry("b"), entry("d"), entry("e")]
        let new = [entry(""), entry("a"), entry("b", size: 2), entry("c"), entry("e"), entry("f")]
        let (changed, removed) = ManifestChanges.between(old, new)
        #expect(changed.map(\.path) == ["b", "c", "f"])
        #expect(removed == ["d"])
    }

    @Test func reportsNothing_forIdenticalManifests_andEverything_againstEmpty() {
        let list = [entry(""), entry("x"), entry("y/z")]
        #expect(ManifestChanges.between(list, list).changed.isEmpty)
        #expect(ManifestChanges.between(list, list).removed.isEmpty)
        #expect(ManifestChanges.between([], list).changed.count == 3)
        #expect(ManifestChanges.between(list, []).removed == ["", "x", "y/z"])
    }
}
