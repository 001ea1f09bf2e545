import Testing
import UnderstudyCore

struct ChangeAggregatorTests {
    let configuration = ChangeAggregator.Configuration(
        quietDelay: 0.01, maxDelay: 0.1, openWriteQuiet: 1, openWriteMax: 10)

    @Test func sendsTheFirstChangeAfterAQuietMoment_atOnce_withWhatCameInTheSameRead() {
        var aggregator = ChangeAggregator(configuration: configuration)
        aggregator.record([CapturedChange(.settled, "a"), CapturedChange(.settled, "b")], at: 100)
        #expect(aggregator.nextDeadline == 100)
        #expect(aggregator.flush(at: 100)?.scope == ["a", "b"].map { ScopedPath($0, recursive: false) })
        // 50 ms later (paced saves): quiet for longer than the quiet delay, so again at once.
        aggregator.record([CapturedChange(.settled, "c")], at: 100.05)
        #expect(aggregator.flush(at: 100.05)?.scope == [ScopedPath("c", recursive: false)])
        // 5 ms later: part of a burst, which waits to be gathered.
        aggregator.record([CapturedChange(.settled, "d")], at: 100.055)
        #expect(aggregator.flush(at: 100.055) == nil)
        #expect(abs((aggregator.nextDeadline ?? 0) - 100.065) < 1e-9)
    }

    @Test func gathersABurst_thatPausesForLongerThanTheQuietDelay() {
        var aggregator = ChangeAggregator(configuration: configuration)
        var time = 50.0
        var batches: [ChangeAggregator.Batch] = []
        // A burst read 20 times, every 3 ms, then a pause of 15 ms (the reader waited for a core), then more.
        for index in 0..<40 {
            aggregator.record([CapturedChange(.settled, "f\(index)")], at: time)
            time += index == 19 ? 0.015 : 0.003
            if let batch = aggregator.flush(at: time - 0.001) { batches.append(batch) }
        }
        if let batch = aggregator.flush(at: time + 1) { batches.append(batch) }
        // The first change went at once; after the pause the burst goes on being gathered, not sent file by file.
        #expect(batches.first?.scope.count == 1)
        #expect(batches.count <= 4, "\(batches.map(\.scope.count))")
    }

    @Test func flushesBurst_onceQuietForTheQuietDelay() {
        var aggregator = ChangeAggregator(configuration: configuration)
        aggregator.record([CapturedChange(.settled, "before")], at: 99.995)
        _ = aggregator.flush(at: 99.995)  // the burst's first change went at once
        aggregator.record([CapturedChange(.settled, "a"), CapturedChange(.settled, "b")], at: 100)
        aggregator.record([CapturedChange(.settled, "c")], at: 100.005)
        #expect(aggregator.nextDeadline == 100.015)
        #expect(aggregator.flush(at: 100.012) == nil)
        let batch = aggregator.flush(at: 100.015)
        #expect(batch?.scope == ["a", "b", "c"].map { ScopedPath($0, recursive: false) })
        #expect(batch?.oldestChangeAt == 100)
        #expect(aggregator.isEmpty)
        #expect(aggregator.nextDeadline == nil)
    }

    @Test func flushesSteadyStream_atTheMaxDelay() {
        var aggregator = ChangeAggregator(configuration: configuration)
        var time = 10.0
        var batches: [ChangeAggregator.Batch] = []
        for index in 0..<50 {
            aggregator.record([CapturedChange(.settled, "f\(index)")], at: time)
            time += 0.005
            if let batch = aggregator.flush(at: time) { batches.append(batch) }
        }
        // The first change goes at once; the rest, every 5 ms, never go quiet for 10 ms: the 100 ms bound cuts them.
        #expect(batches.count == 3)
        #expect(batches.map(\.scope.count).prefix(2) == [1, 20])
    }

    @Test func keepsBothEndsOfRename_inOneBatch() {
        var aggregator = ChangeAggregator(configuration: configuration)
        aggregator.record(
            [CapturedChange(.tree, "old"), CapturedChange(.tree, "new"), CapturedChange(.settled, "")], at: 1)
        let batch = aggregator.flush(at: 2)
        #expect(
            batch?.scope == [
                ScopedPath("", recursive: false), ScopedPath("new", recursive: true),
                ScopedPath("old", recursive: true),
            ])
    }

    @Test func openFile_waitsForQuietWrites_orItsCloseSettlesIt() {
        var aggregator = ChangeAggregator(configuration: configuration)
        aggregator.record([CapturedChange(.writing, "log")], at: 0)
        aggregator.record([CapturedChange(.writing, "log")], at: 0.5)
        #expect(aggregator.flush(at: 1.0) == nil)
        #expect(aggregator.nextDeadline == 1.5)
        #expect(aggregator.flush(at: 1.5)?.scope == [ScopedPath("log", recursive: false)])

        aggregator.record([CapturedChange(.writing, "data")], at: 3)
        aggregator.record([CapturedChange(.settled, "data")], at: 3.1)
        #expect(aggregator.flush(at: 3.11)?.scope == [ScopedPath("data", recursive: false)])
        #expect(aggregator.isEmpty)
    }

    @Test func fileWrittenWithoutPause_stillGoesOut_atTheOpenWriteBound() {
        var aggregator = ChangeAggregator(configuration: configuration)
        var time = 0.0
        var flushedAt: Double?
        while time < 12, flushedAt == nil {
            aggregator.record([CapturedChange(.writing, "stream")], at: time)
            time += 0.1
            if aggregator.flush(at: time) != nil { flushedAt = time }
        }
        #expect(flushedAt.map { $0 >= 10 && $0 < 10.2 } == true)
    }

    @Test func treeChange_coversEntriesBelowIt_andOverflowIsReported() {
        var aggregator = ChangeAggregator(configuration: configuration)
        aggregator.record(
            [CapturedChange(.settled, "dir/a"), CapturedChange(.tree, "dir"), CapturedChange(.settled, "dir.txt")],
            at: 0)
        #expect(
            aggregator.flush(at: 1)?.scope == [
                ScopedPath("dir", recursive: true), ScopedPath("dir.txt", recursive: false),
            ])
        aggregator.record([CapturedChange(.overflow, ""), CapturedChange(.settled, "x")], at: 2)
        let batch = aggregator.flush(at: 3)
        #expect(batch?.scope == [ScopedPath("", recursive: true)])
        #expect(batch?.overflowed == true)
    }
}
