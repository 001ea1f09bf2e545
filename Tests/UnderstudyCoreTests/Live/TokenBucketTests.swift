import Testing
import UnderstudyCore

struct TokenBucketTests {
    @Test func paces_aLongTransfer_toTheRate() {
        var bucket = TokenBucket()
        var now = 0.0
        // 40 writes of 256 KiB at 1 MiB/s: 10 MiB must take about 10 s, less the initial burst.
        for _ in 0..<40 { now += bucket.take(256 * 1024, at: now, bytesPerSecond: 1 << 20) }
        #expect(now > 9.5 && now < 10.1, "\(now)")
    }

    @Test func idleTime_buildsOnlyASmallBurst() {
        var bucket = TokenBucket()
        _ = bucket.take(1, at: 0, bytesPerSecond: 1_000_000)
        // After an hour of silence a 1 MB write still waits: the burst is a quarter second's worth.
        let wait = bucket.take(1_000_000, at: 3600, bytesPerSecond: 1_000_000)
        #expect(wait > 0.7 && wait < 0.8, "\(wait)")
    }
}
