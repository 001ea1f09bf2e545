import Testing
import UnderstudyCore

/// The unified diff `understudy config diff` prints.
@Suite struct LineDiffTests {
    func diff(_ old: String?, _ new: String?) -> String {
        LineDiff.unified(old: old.map { Array($0.utf8) }, new: new.map { Array($0.utf8) }, oldLabel: "a", newLabel: "b")
    }

    @Test func aChangedLine_showsRemovedThenAdded_withThreeLinesOfContext() {
        let old = (1...10).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let new = old.replacingOccurrences(of: "line 5\n", with: "line five\n")
        #expect(
            diff(old, new)
                == "--- a\n+++ b\n@@ -2,7 +2,7 @@\n line 2\n line 3\n line 4\n-line 5\n+line five\n line 6\n line 7\n line 8\n"
        )
    }

    @Test func distantChanges_makeTwoHunks_andCloseOnesOne() {
        let old = (1...20).map { "l\($0)" }.joined(separator: "\n") + "\n"
        let far = old.replacingOccurrences(of: "l2\n", with: "x\n").replacingOccurrences(of: "l18\n", with: "y\n")
        #expect(diff(old, far).components(separatedBy: "@@ -").count == 3)
        let near = old.replacingOccurrences(of: "l2\n", with: "x\n").replacingOccurrences(of: "l6\n", with: "y\n")
        #expect(diff(old, near).components(separatedBy: "@@ -").count == 2)
    }

    @Test func addedAndRemovedFiles_andIdenticalOnes() {
        #expect(diff(nil, "new\n") == "--- a\n+++ b\n@@ -0,0 +1 @@\n+new\n")
        #expect(diff("gone\n", nil) == "--- a\n+++ b\n@@ -1 +0,0 @@\n-gone\n")
        #expect(diff("same\n", "same\n") == "")
    }

    @Test func binaryContent_isOnlySaidToDiffer() {
        let text = LineDiff.unified(old: [0, 1, 2], new: [0, 1, 3], oldLabel: "a", newLabel: "b")
        #expect(text == "Binary files a and b differ\n")
    }

    @Test func crlfLines_areLinesToo_andALostFinalNewlineIsAChange() {
        #expect(diff("a\r\nb\r\n", "a\r\nc\r\n") == "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\r\n-b\r\n+c\r\n")
        #expect(diff("a\n", "a") == "--- a\n+++ b\n@@ -1 +1 @@\n-a\n+a\n\\ No newline at end of file\n")
    }
}
