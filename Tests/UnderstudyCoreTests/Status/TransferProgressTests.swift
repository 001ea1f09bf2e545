import Testing
@testable import UnderstudyCore

struct TransferProgressTests {
    @Test func computesRateAndETA_fromInjectedTime() {
        var progress = TransferProgress(filesTotal: 10, bytesTotal: 1000, startedAt: 100)
        #expect(progress.rate(now: 100) == nil)
        progress.bytesDone = 250
        progress.filesDone = 3
        #expect(progress.rate(now: 110) == 25)
        #expect(progress.eta(now: 110) == 30)
        #expect(progress.line(now: 110) == "3/10 files, 250 B/1000 B, 25 B/s, ETA 30s")
    }

    @Test func formatsByteCountsInBinaryUnits() {
        #expect(ByteCount.format(0) == "0 B")
        #expect(ByteCount.format(1536) == "1.5 KiB")
        #expect(ByteCount.format(3 * 1024 * 1024 * 1024) == "3.0 GiB")
    }
}
