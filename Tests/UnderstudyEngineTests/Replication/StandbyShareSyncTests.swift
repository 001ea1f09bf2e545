#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import UnderstudyFileSystem
@testable import UnderstudyReplication
import UnderstudyWire
@testable import UnderstudyNode

@Suite struct StandbyShareSyncTests {
    @Test func aNameTheFileSystemCannotStore_isToldAsUnusable_otherFailuresAsRetryable() {
        let tooLong = FileSystemError(operation: "create temporary file for", path: "a", errno: ENAMETOOLONG)
        let badBytes = FileSystemError(operation: "create temporary file for", path: "a", errno: EILSEQ)
        let notPermitted = FileSystemError(operation: "create temporary file for", path: "a", errno: EPERM)
        let full = FileSystemError(operation: "write", path: "a", errno: ENOSPC)
        #expect(StandbyShareSync.wireCode(for: tooLong) == .nameUnusable)
        #expect(StandbyShareSync.wireCode(for: badBytes) == .nameUnusable)
        #expect(
            StandbyShareSync.wireCode(for: notPermitted) == .applyFailed, "an immutable directory may be fixed: retried"
        )
        #expect(StandbyShareSync.wireCode(for: full) == .applyFailed)
        #expect(
            StandbyShareSync.wireCode(for: FileSystemError(.pathRefused, operation: "x", path: "../a")) == .pathRefused)
        #expect(WireErrorCode.nameUnusable.name == "name-unusable")
    }
}
