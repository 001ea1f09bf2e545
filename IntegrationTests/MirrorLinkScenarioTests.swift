#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// Issue 19's mirror over several links, on real nodes in namespaces: the mirror runs over the dedicated link (alpha's
/// `address`); its cable is cut during a write load; heartbeats go on over the LAN (no takeover), and the mirror
/// must move to the LAN within seconds, lose nothing, resend nothing, and move back once the cable is mended.
@Suite(.serialized)
struct MirrorLinkScenarioTests {
    /// Writes a new file into alpha's share every 20 ms until stopped; remembers what it wrote and when.
    final class WriteLoad: @unchecked Sendable {
        private let lock = NSLock()
        private var written: [(name: String, at: Double)] = []
        private var running = true
        private let done = DispatchSemaphore(value: 0)

        init(site: String) {
            Thread { [self] in
                defer { done.signal() }
                for index in 0..<100_000 {
                    if !lock.withLock({ running }) { return }
                    let name = "load/\(index / 100)/f\(index).txt"
                    try? FileManager.default.createDirectory(
                        atPath: site + "/load/\(index / 100)", withIntermediateDirectories: true)
                    RoundTripScenarioTests.write(site + "/" + name, "version of \(name)")
                    lock.withLock { written.append((name, PollLog.now())) }
                    usleep(20_000)
                }
            }.start()
        }

        var all: [(name: String, at: Double)] { lock.withLock { written } }

        func stop() {
            lock.withLock { running = false }
            done.wait()
        }
    }

    static func mirrorPath(_ lab: FailoverLab) -> String? {
        let status = lab.status("beta")
        guard let range = status.range(of: #""mirrorPath" : "[^"]*""#, options: .regularExpression) else { return nil }
        return String(status[range].dropFirst(#""mirrorPath" : ""#.count).dropLast())
    }

    @Test func scenario14_theMirrorsLinkCutDuringAWriteLoad_movesToTheLAN_losesAndResendsNothing_andMovesBack() throws {
        let lab = try FailoverScenarioTests.running("m14")
        defer { lab.shutdown() }
        let site = lab.directory + "/site"
        let replica = lab.directory + "/replica"
        #expect(
            FailoverLab.waitUntil(seconds: 10) { Self.mirrorPath(lab)?.contains("link dedicated") == true },
            "\(lab.status("beta"))")
        let load = WriteLoad(site: site)
        var loadStopped = false
        defer { if !loadStopped { load.stop() } }
        usleep(1_000_000)
        let cutAt = PollLog.now()
        _ = lab.lab("cut", "PREFIX", "dedicated")
        // A file written after the cut reaches the replica over the LAN within seconds.
        usleep(500_000)
        let probe = try #require(load.all.last)
        let arrived = FailoverLab.waitUntil(seconds: 10) {
            FileManager.default.fileExists(atPath: replica + "/" + probe.name)
        }
        let movedAfter = PollLog.now() - cutAt
        #expect(arrived, "a change made after the cut never arrived: \(lab.logs("beta", last: 30))")
        print(
            "scenario 14: a change written 0.5 s after the cut arrived \(String(format: "%.2f", movedAfter)) s after the cut, over \(Self.mirrorPath(lab) ?? "?")"
        )
        #expect(movedAfter < 6, "the mirror must move within seconds, not \(movedAfter) s")
        #expect(Self.mirrorPath(lab)?.contains("link lan") == true, "status: \(lab.status("beta"))")
        #expect(
            lab.logs("beta", last: 200).contains("moved from link dedicated"),
            "the move is reported: \(lab.logs("beta", last: 30))")
        #expect(
            lab.holdsServiceAddress("alpha") && !lab.holdsServiceAddress("beta"),
            "heartbeats go on over the LAN: no takeover")
        // The cable is mended: after its settle time the mirror goes back to it.
        usleep(1_000_000)
        _ = lab.lab("mend", "PREFIX", "dedicated")
        #expect(
            FailoverLab.waitUntil(seconds: 15) { Self.mirrorPath(lab)?.contains("link dedicated") == true },
            "\(lab.logs("beta", last: 30))")
        #expect(lab.logs("beta", last: 200).contains("is back on link dedicated"))
        load.stop()
        loadStopped = true
        // Nothing lost: every file the load wrote is on the replica, as written.
        let written = load.all
        let complete = FailoverLab.waitUntil(seconds: 20) {
            written.allSatisfy { RoundTripScenarioTests.read(replica + "/" + $0.name) == "version of \($0.name)" }
        }
        let missing = written.filter { RoundTripScenarioTests.read(replica + "/" + $0.name) == nil }.map(\.name)
        #expect(complete, "\(missing.count) of \(written.count) files never arrived, e.g. \(missing.prefix(3))")
        // Nothing resent: after the first comparison every sync was a live one, from the last acknowledged change.
        let comparisons = lab.logs("alpha", last: 2000).split(separator: "\n").filter {
            $0.contains("full comparison") && $0.contains("files to send")
        }
        #expect(comparisons.count <= 1, "the moves caused full comparisons: \(comparisons)")
    }
}
