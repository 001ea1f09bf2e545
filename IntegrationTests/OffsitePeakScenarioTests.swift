#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// Issue 15's slow link: for two minutes the primary changes data twice as fast as the WAN to the off-site node
/// carries it (2 Mbit/s, 20 ms each way, 0.5 % loss towards omega), and the standby restarts in the middle. The relay
/// journal on beta absorbs the peak (a file rewritten again and again is sent once per sync), the off-site lag grows
/// and comes back to seconds, nothing is compared whole after the first copy, nothing is sent twice, and omega's copy
/// equals the source at the end.
@Suite(.serialized)
struct OffsitePeakScenarioTests {
    /// The figures of web/site from `understudy status --json` on `node`: its own share, and the off-site hop it
    /// feeds (nil when it feeds none).
    struct Figures {
        var share: [String: Any] = [:]
        var hop: [String: Any]?

        func number(_ key: String, hop: Bool = false) -> Double {
            ((hop ? self.hop : share)?[key] as? NSNumber)?.doubleValue ?? 0
        }
    }

    static func figures(_ lab: FailoverLab, _ node: String) -> Figures? {
        guard let data = lab.status(node).data(using: .utf8),
            let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let groups = root["groups"] as? [[String: Any]],
            let web = groups.first(where: { $0["name"] as? String == "web" }),
            let share = (web["shares"] as? [[String: Any]])?.first
        else { return nil }
        let hop = ((web["offsiteHop"] as? [String: Any])?["shares"] as? [[String: Any]])?.first
        return Figures(share: share, hop: hop)
    }

    @Test func twiceTheLinksRateForTwoMinutes_withAStandbyRestart_isAbsorbed_andCaughtUp_withoutAResend() throws {
        let lab = try FailoverLab("pk")
        defer { lab.shutdown() }
        try lab.configure(notify: false, offsite: true)
        let shaped = lab.lab("shape", "PREFIX", "20", "0.5", "2mbit")
        #expect(shaped.status == 0, "\(shaped.output)")
        let site = lab.directory + "/site"
        let offsite = lab.directory + "/offsite-site"
        for index in 0..<20 {
            FileManager.default.createFile(atPath: site + "/base-\(index).bin", contents: Self.bytes(20_000, index))
        }
        for node in ["alpha", "beta", "omega"] { try lab.start(node) }
        #expect(
            FailoverLab.waitUntil(seconds: 60) { TreeSnapshot(site) == TreeSnapshot(offsite) },
            "the first off-site copy: \(lab.logs("omega", last: 30))")
        let firstSent = Self.figures(lab, "beta")?.number("bytesSent", hop: true) ?? 0

        // 500 kB/s (twice the WAN's 250 kB/s) for 120 s: ten files of 50 kB a second, cycling through 60 names.
        var written = 0.0
        var peakLag = 0.0
        var restarted = false
        let started = Date()
        var round = 0
        while Date().timeIntervalSince(started) < 120 {
            for index in 0..<10 {
                let name = "hot/f\((round * 10 + index) % 60).bin"
                try? FileManager.default.createDirectory(atPath: site + "/hot", withIntermediateDirectories: true)
                FileManager.default.createFile(
                    atPath: site + "/" + name, contents: Self.bytes(50_000, round * 10 + index))
                written += 50_000
            }
            round += 1
            if let figures = Self.figures(lab, "beta"), figures.hop != nil {
                peakLag = max(peakLag, figures.number("lagSeconds", hop: true))
            }
            if !restarted && Date().timeIntervalSince(started) >= 60 {
                // The standby restarts (SIGTERM, then started again at once) in the middle of the peak.
                restarted = true
                if let pid = lab.daemonPID("beta") {
                    kill(pid, SIGTERM)
                    var status: Int32 = 0
                    for _ in 0..<500 where waitpid(pid, &status, WNOHANG) == 0 { usleep(20_000) }
                }
                try lab.start("beta")
            }
            let next = started.addingTimeInterval(Double(round))
            let pause = next.timeIntervalSinceNow
            if pause > 0 { usleep(UInt32(pause * 1_000_000)) }
        }
        let peakEnded = Date()
        #expect(
            FailoverLab.waitUntil(seconds: 180) { TreeSnapshot(site) == TreeSnapshot(offsite) },
            "omega's copy equals the source after the peak: \(TreeSnapshot(site).difference(TreeSnapshot(offsite)).prefix(3)); omega: \(lab.logs("omega", last: 20))"
        )
        let caughtUp = Date().timeIntervalSince(peakEnded)
        var hop = Self.figures(lab, "beta")
        #expect(
            FailoverLab.waitUntil(seconds: 30) {
                hop = Self.figures(lab, "beta")
                return hop?.number("changesPending", hop: true) == 0
            }, "beta's journal for omega is empty")
        let omega = Self.figures(lab, "omega")
        let sent = (hop?.number("bytesSent", hop: true) ?? 0)
        print(
            "peak scenario: \(Int(written)) bytes written in 120 s, \(Int(sent - firstSent)) sent to omega after the first copy (counter since beta's restart: \(Int(sent))), lag peaked at \(String(format: "%.1f", peakLag)) s, caught up \(String(format: "%.0f", caughtUp)) s after the peak"
        )
        #expect(peakLag > 5, "the hop fell behind during the peak (lag \(peakLag) s)")
        #expect((hop?.number("lagSeconds", hop: true) ?? 99) < 5, "and came back to seconds")
        #expect(
            (omega?.number("fullSyncs") ?? 99) <= 1,
            "no comparison of the whole share after the first copy, the restart included: \(omega?.share ?? [:])")
        #expect(
            sent < written,
            "a file rewritten again and again was sent once per sync, never twice: \(sent) of \(written)")
        #expect(restarted)
    }

    /// `count` bytes that differ for each `seed` (a compressor cannot shrink them to nothing).
    static func bytes(_ count: Int, _ seed: Int) -> Data {
        var state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 | 1
        var bytes = [UInt8](repeating: 0, count: count)
        for index in 0..<count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            bytes[index] = UInt8(truncatingIfNeeded: state)
        }
        return Data(bytes)
    }
}
