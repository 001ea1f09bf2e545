import Testing
import UnderstudyCore

struct BandwidthLimitTests {
    @Test func parsesRates_inDecimalBinaryAndBitUnits() throws {
        #expect(try BandwidthLimit.parseRate("20MB/s") == 20_000_000)
        #expect(try BandwidthLimit.parseRate("512KiB/s") == 524_288)
        #expect(try BandwidthLimit.parseRate("1.5GB/s") == 1_500_000_000)
        #expect(try BandwidthLimit.parseRate("100Mbit/s") == 12_500_000)
        #expect(try BandwidthLimit.parseRate("unlimited") == nil)
    }

    @Test func refusesRates_withoutUnitOrPerSecond_orTooSmall() {
        #expect(throws: BandwidthError.self) { try BandwidthLimit.parseRate("20MB") }
        #expect(throws: BandwidthError.self) { try BandwidthLimit.parseRate("20 parsecs/s") }
        #expect(throws: BandwidthError.self) { try BandwidthLimit.parseRate("-5MB/s") }
        #expect(throws: BandwidthError.self) { try BandwidthLimit.parseRate("100B/s") }
    }

    @Test func schedule_appliesItsLimitInsideTheWindow_andTheGroupLimitOutside() {
        let weekdays = BandwidthLimit.Window(
            days: [1, 2, 3, 4, 5], fromMinute: 8 * 60, toMinute: 18 * 60, bytesPerSecond: 2_000_000)
        let limit = BandwidthLimit(bytesPerSecond: 20_000_000, schedule: [weekdays])
        #expect(limit.bytesPerSecond(weekday: 3, minute: 9 * 60) == 2_000_000)
        #expect(limit.bytesPerSecond(weekday: 3, minute: 18 * 60) == 20_000_000)
        #expect(limit.bytesPerSecond(weekday: 6, minute: 9 * 60) == 20_000_000)
    }

    @Test func windowPastMidnight_belongsToTheDayItStarted() {
        let night = BandwidthLimit.Window(days: [5], fromMinute: 22 * 60, toMinute: 6 * 60, bytesPerSecond: nil)
        let limit = BandwidthLimit(bytesPerSecond: 1_000_000, schedule: [night])
        #expect(limit.bytesPerSecond(weekday: 5, minute: 23 * 60) == nil)  // Friday night: unlimited
        #expect(limit.bytesPerSecond(weekday: 6, minute: 3 * 60) == nil)  // early Saturday, still Friday's window
        #expect(limit.bytesPerSecond(weekday: 5, minute: 3 * 60) == 1_000_000)  // early Friday is Thursday's night
    }
}
