import Foundation
import Testing

/// `make demo`'s failover part (scripts/demo-failover), run as a new user would run it: it must go through every
/// step and show what each step promises.
@Suite(.serialized)
struct DemoScenarioTests {
    @Test func theFailoverDemo_runsThrough_andShowsTheOutage_theConflictCopy_theFailback_andTheRestore() {
        let (status, output) = FailoverLab.run(
            [FailoverLab.repository + "/scripts/demo-failover", FailoverLab.binary], timeout: 240)
        #expect(status == 0, "\(output.suffix(4000))")
        for expected in [
            "this node can start",
            "news.html was on beta",
            "the client's outage: ",
            "notes.understudy-conflict-alpha-",
            "[changed-on-both]",
            "failback of web done",
            "the client reads notes.txt from alpha: notes written on beta while it served",
            "hours.txt: opening hours: 9-17",
            "understudy_group_role{group=\"web\",role=\"standby\"} 1",
        ] {
            #expect(output.contains(expected), "no '\(expected)' in:\n\(output.suffix(4000))")
        }
        #expect(!output.contains("the client never got an answer again"))
    }
}
