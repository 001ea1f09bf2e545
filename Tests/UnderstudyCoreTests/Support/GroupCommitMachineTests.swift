import Testing
import UnderstudyCore

/// Group commit as a state machine: a request joins the round that has not started, so the round that serves it
/// starts after it; one round runs at a time.
@Suite struct GroupCommitMachineTests {
    @Test func aRequestWithNoRoundRunning_leadsARoundOfItsOwn() {
        var machine = GroupCommitMachine<String>()
        let round = machine.join("a")
        #expect(round == 1)
        #expect(machine.lead(round) == ["a"])
        #expect(!machine.isDone(round))
        machine.finish(round)
        #expect(machine.isDone(round))
        #expect(machine.lead(2) == nil, "nothing asked for: no round")
    }

    @Test func requestsArrivingWhileARoundRuns_waitForIt_andShareTheNextRound() {
        var machine = GroupCommitMachine<String>()
        let first = machine.join("a")
        #expect(machine.lead(first) == ["a"])
        let second = machine.join("b")
        let third = machine.join("c")
        #expect(second == 2 && third == 2, "both go to the round that has not started")
        #expect(machine.lead(second) == nil, "a round runs: the next one waits for it")
        machine.finish(first)
        #expect(!machine.isDone(second))
        #expect(machine.lead(second) == ["b", "c"])
        #expect(machine.lead(third) == nil, "the round started: its other caller only waits")
        #expect(machine.join("d") == 3, "a request during round 2 is served by round 3, which starts after it")
        machine.finish(second)
        #expect(machine.isDone(third) && !machine.isDone(3))
        #expect(machine.lead(3) == ["d"])
    }
}
