import Testing
import UnderstudyDelta
import UnderstudyNode

@Suite struct LibrsyncInfoTests {
    @Test func version_namesLibrsync2() {
        #expect(LibrsyncInfo.version.hasPrefix("librsync 2."), "\(LibrsyncInfo.version)")
    }
}
