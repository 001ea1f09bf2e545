import Testing
import UnderstudyCore

@Suite struct LinkLivenessTests {
    func liveness(at start: Double = 100) -> LinkLiveness {
        LinkLiveness(links: ["dedicated", "lan"], deadTime: 1, startedAt: start)
    }

    @Test func startsUnknown_withNothingHeard() {
        let links = liveness()
        #expect(links.links.map(\.state) == [.unknown, .unknown])
        #expect(links.links.map(\.name) == ["dedicated", "lan"])
        #expect(links.lastHeard == nil)
        #expect(!links.allDown)
    }

    @Test func firstHeartbeat_isNoNews_andTheLinkIsUp() {
        var links = liveness()
        #expect(links.heard(on: "lan", at: 100.1) == nil)
        #expect(links.links[1].state == .up)
        #expect(links.links[1].lastHeard == 100.1)
        #expect(links.links[0].state == .unknown)
        #expect(links.lastHeard == 100.1)
    }

    @Test func unknownLink_isIgnored() {
        var links = liveness()
        #expect(links.heard(on: "wifi", at: 100.1) == nil)
        #expect(links.lastHeard == nil)
        #expect(links.links.map(\.state) == [.unknown, .unknown])
    }

    @Test func neverHeard_goesDown_oneDeadTimeAfterStart() {
        var links = liveness()
        #expect(links.evaluate(at: 100.999) == [])
        #expect(
            links.evaluate(at: 101) == [.down(link: "dedicated", lastHeard: nil), .down(link: "lan", lastHeard: nil)])
        #expect(links.allDown)
    }

    @Test func silentLink_goesDown_exactlyAtTheDeadTime_once() {
        var links = liveness()
        _ = links.heard(on: "dedicated", at: 100.5)
        _ = links.heard(on: "lan", at: 100.8)
        #expect(links.evaluate(at: 101.4999) == [])
        #expect(links.evaluate(at: 101.5) == [.down(link: "dedicated", lastHeard: 100.5)])
        #expect(links.links[0].state == .down)
        #expect(links.links[1].state == .up)
        #expect(!links.allDown)
        #expect(links.evaluate(at: 105) == [.down(link: "lan", lastHeard: 100.8)])
        #expect(links.evaluate(at: 200) == [], "a down link is reported once")
        #expect(links.allDown)
    }

    @Test func downLink_heardAgain_isNews() {
        var links = liveness()
        _ = links.evaluate(at: 102)
        #expect(links.heard(on: "lan", at: 103) == .up(link: "lan"))
        #expect(links.links[1].state == .up)
        #expect(links.heard(on: "lan", at: 103.2) == nil)
        #expect(!links.allDown)
        // And it can go down again.
        #expect(links.evaluate(at: 104.2) == [.down(link: "lan", lastHeard: 103.2)])
    }

    @Test func heartbeatsKeepALinkUp() {
        var links = liveness()
        var now = 100.0
        for _ in 0..<50 {
            now += 0.2
            _ = links.heard(on: "dedicated", at: now)
            _ = links.heard(on: "lan", at: now)
            #expect(links.evaluate(at: now + 0.99) == [])
        }
        #expect(links.links.map(\.state) == [.up, .up])
    }

    @Test func outOfOrderHeartbeat_doesNotMoveLastHeardBack() {
        var links = liveness()
        _ = links.heard(on: "lan", at: 105)
        _ = links.heard(on: "lan", at: 104)
        #expect(links.links[1].lastHeard == 105)
    }

    @Test func silence_countsFromTheLatestHeartbeatOnAnyLink_orFromStart() {
        var links = liveness()
        #expect(links.silence(at: 100.5) == 0.5)
        _ = links.heard(on: "dedicated", at: 101)
        _ = links.heard(on: "lan", at: 102)
        #expect(links.lastHeard == 102)
        #expect(links.silence(at: 104.5) == 2.5)
    }

    @Test func noLinks_isNeverAllDown() {
        var links = LinkLiveness(links: [], deadTime: 1, startedAt: 0)
        #expect(links.evaluate(at: 100) == [])
        #expect(!links.allDown)
    }
}
