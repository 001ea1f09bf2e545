import Testing
import UnderstudyCore

@Suite struct MirrorRouteTests {
    static func node(_ name: String, address: String, links: [NodeLink]) -> NodeConfiguration {
        NodeConfiguration(name: name, address: try! PeerAddress.parse(address), links: links)
    }

    let beta = Self.node(
        "beta", address: "10.0.0.2:7700",
        links: [
            NodeLink(name: "dedicated", address: "10.0.0.2"),
            NodeLink(name: "lan", address: "192.168.1.2"),
        ])
    let alpha = Self.node(
        "alpha", address: "10.0.0.1:7700",
        links: [
            NodeLink(name: "dedicated", address: "10.0.0.1"),
            NodeLink(name: "lan", address: "192.168.1.1"),
        ])
    typealias Path = MirrorRoute.Path
    let dedicated = Path(link: "dedicated", host: "10.0.0.1", port: 7700)
    let lan = Path(link: "lan", host: "192.168.1.1", port: 7700)

    @Test func paths_areTheAddressFirst_thenEachCommonLink_inTheFollowersOrder() {
        #expect(MirrorRoute.paths(from: beta, to: alpha) == [dedicated, lan])
        let lanFirst = Self.node(
            "beta", address: "10.0.0.2:7700",
            links: [
                NodeLink(name: "lan", address: "192.168.1.2"),
                NodeLink(name: "dedicated", address: "10.0.0.2"),
            ])
        #expect(MirrorRoute.paths(from: lanFirst, to: alpha) == [dedicated, lan], "the configured address stays first")
        let named = Self.node("alpha", address: "alpha.example:7700", links: alpha.links)
        #expect(
            MirrorRoute.paths(from: beta, to: named) == [
                Path(link: nil, host: "alpha.example", port: 7700),
                Path(link: "dedicated", host: "10.0.0.1", port: 7700), lan,
            ])
    }

    @Test func aLinkMarkedMirrorFalse_onEitherNode_isNeverAPath() {
        let quietLAN = Self.node(
            "alpha", address: "10.0.0.1:7700",
            links: [
                NodeLink(name: "dedicated", address: "10.0.0.1"),
                NodeLink(name: "lan", address: "192.168.1.1", mirror: false),
            ])
        #expect(MirrorRoute.paths(from: beta, to: quietLAN) == [dedicated])
        let quietHere = Self.node(
            "beta", address: "10.0.0.2:7700",
            links: [
                NodeLink(name: "dedicated", address: "10.0.0.2"),
                NodeLink(name: "lan", address: "192.168.1.2", mirror: false),
            ])
        #expect(MirrorRoute.paths(from: quietHere, to: alpha) == [dedicated])
    }

    @Test func connectsOverThePreferredPath_andOverTheNextWhenItsLinkIsDown() {
        var route = MirrorRoute(paths: [dedicated, lan], settle: 3)
        #expect(route.next(links: [:]) == dedicated, "nothing heard yet: the preferred path")
        #expect(route.next(links: ["dedicated": .init(state: .down), "lan": .init(state: .up, upSince: 0)]) == lan)
    }

    @Test func aFailedAttempt_triesTheNextPath_thenStartsTheRoundAgain() {
        var route = MirrorRoute(paths: [dedicated, lan], settle: 3)
        #expect(route.next(links: [:]) == dedicated)
        route.attemptFailed()
        #expect(route.next(links: [:]) == lan)
        route.attemptFailed()
        #expect(route.next(links: [:]) == dedicated)
        route.connected()
        #expect(route.current == dedicated)
    }

    @Test func whileConnected_leavesAPathWhoseLinkWentDown() {
        var route = MirrorRoute(paths: [dedicated, lan], settle: 3)
        _ = route.next(links: [:])
        route.connected()
        #expect(route.advice(links: ["dedicated": .init(state: .up, upSince: 0)], now: 10) == .stay)
        #expect(
            route.advice(links: ["dedicated": .init(state: .down), "lan": .init(state: .up, upSince: 0)], now: 10)
                == .leave(reason: "link dedicated is down"))
        // Every link down (heartbeats blocked, TCP fine): moving would only loop from one dead path to the next.
        #expect(route.advice(links: ["dedicated": .init(state: .down), "lan": .init(state: .down)], now: 10) == .stay)
    }

    @Test func movesBack_onlyOnceThePreferredLinkHasBeenUpForTheSettleTime() {
        var route = MirrorRoute(paths: [dedicated, lan], settle: 3)
        _ = route.next(links: ["dedicated": .init(state: .down)])
        route.connected()
        #expect(route.current == lan)
        #expect(
            route.advice(
                links: ["dedicated": .init(state: .up, upSince: 20), "lan": .init(state: .up, upSince: 0)], now: 21)
                == .stay)
        #expect(
            route.advice(
                links: ["dedicated": .init(state: .up, upSince: 20), "lan": .init(state: .up, upSince: 0)], now: 23)
                == .moveBack(to: dedicated))
        // On the preferred path already: nothing better to go to.
        var preferred = MirrorRoute(paths: [dedicated, lan], settle: 3)
        _ = preferred.next(links: [:])
        preferred.connected()
        #expect(
            preferred.advice(
                links: ["dedicated": .init(state: .up, upSince: 0), "lan": .init(state: .up, upSince: 0)], now: 50)
                == .stay)
    }

    @Test func describesAPath_forLogsAndStatus() {
        #expect(dedicated.description == "link dedicated (10.0.0.1:7700)")
        #expect(Path(link: nil, host: "fd00::1", port: 7700).description == "[fd00::1]:7700")
    }
}
