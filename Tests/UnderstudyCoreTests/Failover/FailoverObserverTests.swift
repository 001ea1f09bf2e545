import Testing
import UnderstudyCore

/// How a node turns what it heard and checked into each tick's observation: the freeze rule, service failure, and the
/// witness as the owner and the standby judge it.
@Suite struct FailoverObserverTests {
    static let group = FailoverObserver.Group(name: "web", peer: "alpha")

    /// beta watching alpha over two links, heard on both at 0; dead time 3 s, isolation time 1.5 s.
    func observer(witness: Bool = false) -> FailoverObserver {
        var observer = FailoverObserver(node: "beta", deadTime: 3, isolationTime: 1.5)
        observer.liveness["alpha"] = LinkLiveness(links: ["lan", "cable"], deadTime: 3, startedAt: 0)
        _ = observer.liveness["alpha"]?.heard(on: "lan", at: 0)
        _ = observer.liveness["alpha"]?.heard(on: "cable", at: 0)
        if witness {
            observer.liveness["gamma"] = LinkLiveness(links: ["lan"], deadTime: 3, startedAt: 0)
        }
        return observer
    }

    @Test func aGapBetweenTicksOfMoreThanHalfTheDeadTime_isTheNodesOwnFreeze_andItListensAfresh() {
        var observer = observer()
        #expect(observer.freezeGap == 1)  // half of 3 s is 1.5, capped at 1
        #expect(observer.tick(at: 0.5).frozenFor == nil)
        #expect(observer.tick(at: 1.4).frozenFor == nil)
        // Frozen from 1.4 to 5: alpha's silence would be 5 s, past the dead time; it counts afresh instead.
        let resumed = observer.tick(at: 5)
        #expect(resumed.frozenFor == 3.6)
        #expect(observer.silence(of: "alpha", at: 5) == 0)
        #expect(observer.observation(of: Self.group, owner: "alpha", replicaReady: true, at: 5)?.peerSilence == 0)
    }

    @Test func theFreezeGap_isHalfTheDeadTime_withinAQuarterSecondAndASecond() {
        #expect(FailoverObserver(node: "a", deadTime: 0.2, isolationTime: 0.1).freezeGap == 0.25)
        #expect(FailoverObserver(node: "a", deadTime: 1.2, isolationTime: 0.6).freezeGap == 0.6)
        #expect(FailoverObserver(node: "a", deadTime: 10, isolationTime: 5).freezeGap == 1)
    }

    @Test func ticksCloseTogether_letSilenceGrow_andReportLinksGoingDown() {
        var observer = observer()
        var downs = 0
        for step in 1...40 {
            let (frozenFor, links) = observer.tick(at: Double(step) * 0.1)
            #expect(frozenFor == nil)
            downs += links.filter { if case .down = $0.event { true } else { false } }.count
        }
        #expect(downs == 2)
        #expect(observer.observation(of: Self.group, owner: "alpha", replicaReady: true, at: 4)?.peerSilence == 4)
    }

    @Test func serviceFailing_onlyWhenEveryCheckFails_andNeverWithoutChecks() {
        var observer = observer()
        #expect(!observer.serviceFailing("web"))
        observer.checks["web"] = ["http": CheckHealth(rise: 1, fall: 1), "smtp": CheckHealth(rise: 1, fall: 1)]
        _ = observer.checks["web"]?["http"]?.record(passed: false, message: "refused", at: 1)
        #expect(!observer.serviceFailing("web"))
        _ = observer.checks["web"]?["smtp"]?.record(passed: false, message: "refused", at: 1)
        #expect(observer.serviceFailing("web"))
        #expect(
            observer.observation(of: Self.group, owner: "alpha", replicaReady: false, at: 1)?.serviceFailing == true)
        #expect(observer.observation(of: Self.group, owner: "alpha", replicaReady: false, at: 1)?.replicaReady == false)
    }

    @Test func isolationFailing_isNil_withoutAnIsolationCheck() {
        var observer = observer()
        #expect(observer.isolationFailing == nil)
        observer.isolation = CheckHealth(rise: 1, fall: 1)
        _ = observer.isolation?.record(passed: false, message: "no route", at: 1)
        #expect(observer.isolationFailing == true)
    }

    @Test func aGroupWhosePeerIsNotWatched_hasNoObservation() {
        #expect(
            observer().observation(
                of: FailoverObserver.Group(name: "mail", peer: "delta"), owner: "delta", replicaReady: true, at: 1)
                == nil)
    }

    @Test func aWitnessNode_isLostByTheOwnerAfterTheIsolationTime_andByTheStandbyAfterTheDeadTime() {
        var observer = observer(witness: true)
        let group = FailoverObserver.Group(name: "web", peer: "alpha", witness: .node("gamma"))
        _ = observer.liveness["gamma"]?.heard(on: "lan", at: 0)
        // beta as the standby (alpha owns): 2 s of silence from gamma is within the dead time.
        #expect(observer.witnessView(of: group, owner: "alpha", at: 2)?.reachable == true)
        // beta as the owner: the same silence is past the isolation time.
        #expect(observer.witnessView(of: group, owner: "beta", at: 2)?.reachable == false)
    }

    @Test func aWitnessReport_isAgedSinceItCame_andForgottenAfterTheDeadTime() {
        var observer = observer(witness: true)
        let group = FailoverObserver.Group(name: "web", peer: "alpha", witness: .node("gamma"))
        _ = observer.liveness["gamma"]?.heard(on: "lan", at: 10)
        observer.witnessReports["gamma"] = .init(hearings: ["alpha": 4, "beta": 0.5], at: 10)
        // As the owner sees it: gamma had not heard beta (the owner) for 0.5 s and alpha (its peer) for 4 s, a second ago.
        let view = observer.witnessView(of: group, owner: "beta", at: 11)
        #expect(view?.ownerSilence == 1.5 && view?.peerSilence == 5 && view?.name == "node gamma")
        _ = observer.liveness["gamma"]?.heard(on: "lan", at: 13.5)
        let stale = observer.witnessView(of: group, owner: "alpha", at: 14)
        #expect(stale?.reachable == true && stale?.ownerSilence == nil)
    }

    @Test func noWitness_meansNoWitnessView() {
        #expect(observer().witnessView(of: Self.group, owner: "alpha", at: 1) == nil)
    }
}
