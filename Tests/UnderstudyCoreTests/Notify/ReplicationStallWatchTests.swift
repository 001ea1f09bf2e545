import Testing
import UnderstudyCore

struct ReplicationStallWatchTests {
    @Test func saysStalledOnce_afterTheThreshold_andResumedOnce() {
        var watch = ReplicationStallWatch(threshold: 60)
        #expect(watch.observe(group: "web", healthy: false, at: 100) == nil)
        #expect(watch.observe(group: "web", healthy: false, at: 159) == nil)
        #expect(watch.observe(group: "web", healthy: false, at: 160) == .stalled(seconds: 60))
        #expect(watch.observe(group: "web", healthy: false, at: 300) == nil)
        #expect(watch.observe(group: "web", healthy: true, at: 310) == .resumed(afterSeconds: 210))
        #expect(watch.observe(group: "web", healthy: true, at: 320) == nil)
    }

    @Test func saysNothing_whenHealthyAgainBeforeTheThreshold_andCountsAfresh() {
        var watch = ReplicationStallWatch(threshold: 60)
        _ = watch.observe(group: "web", healthy: false, at: 0)
        #expect(watch.observe(group: "web", healthy: true, at: 59) == nil)
        #expect(watch.observe(group: "web", healthy: false, at: 100) == nil)
        #expect(watch.observe(group: "web", healthy: false, at: 150) == nil)
        #expect(watch.observe(group: "web", healthy: false, at: 160) == .stalled(seconds: 60))
    }

    @Test func keepsGroupsApart() {
        var watch = ReplicationStallWatch(threshold: 10)
        _ = watch.observe(group: "web", healthy: false, at: 0)
        _ = watch.observe(group: "mail", healthy: false, at: 5)
        #expect(watch.observe(group: "web", healthy: false, at: 10) == .stalled(seconds: 10))
        #expect(watch.observe(group: "mail", healthy: false, at: 10) == nil)
        #expect(watch.observe(group: "mail", healthy: false, at: 15) == .stalled(seconds: 10))
    }
}
