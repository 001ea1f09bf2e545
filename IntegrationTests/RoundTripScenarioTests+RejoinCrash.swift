#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// Issue 5: a rejoin interrupted by kill -9 at random points, ten times (twice of the serving node), ends as an
/// uninterrupted one would.
extension RoundTripScenarioTests {
    /// SplitMix64, so that a failing run's seed (printed) can be replayed with UNDERSTUDY_TEST_SEED.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    private static func count(_ text: String, in log: String) -> Int {
        log.components(separatedBy: text).count - 1
    }

    @Test func scenario11_rejoinKilledAtRandomPoints_resumes_andEndsAsAnUninterruptedOne() throws {
        let seed =
            ProcessInfo.processInfo.environment["UNDERSTUDY_TEST_SEED"].flatMap(UInt64.init)
            ?? UInt64.random(in: 1...UInt64(UInt32.max))
        print("scenario 11: seed \(seed)")
        var random = Seeded(state: seed)
        let lab = try FailoverScenarioTests.running("r11")
        defer { lab.shutdown() }
        let site = lab.directory + "/site"
        let replica = lab.directory + "/replica"
        for (name, text) in [("a.txt", "a1"), ("b.txt", "b1"), ("c.txt", "c1"), ("d.txt", "d1")] {
            Self.write(site + "/" + name, text)
        }
        #expect(
            FailoverLab.waitUntil(seconds: 15) {
                Self.read(replica + "/d.txt") == "d1" && Self.read(replica + "/a.txt") == "a1"
            })

        // alpha's last moments: many versions beta never gets (each a conflict copy to make and push at the rejoin).
        let late = 1500
        let alpha = try #require(lab.daemonPID("alpha"))
        kill(alpha, SIGSTOP)
        Self.write(site + "/c.txt", "c2 alpha")
        Self.write(site + "/d.txt", "d2 alpha")
        for number in 0..<late {
            Self.write(site + "/late-\(number).txt", "late \(number) " + String(repeating: "x", count: 1000))
        }
        try Self.crashAlpha(lab, daemon: alpha)
        Self.changeOnBeta(replica)
        _ = lab.lab("rejoin", "PREFIX", "alpha")

        // Ten starts of alpha, each killed: soon after the start, while it renames its versions to conflict copies,
        // or after a few of them were pushed.
        var unfinished = 0
        for round in 1...10 {
            try lab.start("alpha")
            let point: String
            switch round % 3 {
            case 0:
                let delay = UInt32.random(in: 0...800_000, using: &random)
                usleep(delay)
                point = "\(delay / 1000) ms after the start"
            case 1:
                _ = FailoverLab.waitUntil(seconds: 20) {
                    lab.logs("alpha", last: 400).contains("rejoining as the follower")
                }
                let delay = UInt32.random(in: 0...300_000, using: &random)
                usleep(delay)
                point = "\(delay / 1000) ms into the rejoin"
            default:
                let pushes = Int.random(in: 1...8, using: &random)
                _ = FailoverLab.waitUntil(seconds: 20) {
                    Self.count("is kept in", in: lab.logs("alpha", last: 2000)) >= pushes
                }
                point = "after \(pushes) copies pushed"
            }
            // Twice the serving node dies instead, in the middle of taking copies in; alpha is stopped with it.
            let serving = round == 4 || round == 8
            if serving { lab.killDaemon("beta") }
            lab.killDaemon("alpha")
            if serving {
                try lab.start("beta")
                #expect(
                    FailoverLab.waitUntil(seconds: 15) { lab.status("beta").contains("\"phase\" : \"active\"") },
                    "\(lab.logs("beta", last: 40))")
            }
            let log = lab.logs("alpha", last: 5000)
            let finished = log.contains("conflicts kept on both nodes")
            if !finished { unfinished += 1 }
            print(
                "scenario 11 round \(round): \(serving ? "beta (serving) and alpha" : "alpha") killed \(point): \(Self.count("kept as", in: log)) renamed, \(Self.count("is kept in", in: log)) pushed\(finished ? ", rejoin finished" : "")"
            )
            #expect(!lab.holdsServiceAddress("alpha"))
            try? FileManager.default.copyItem(atPath: lab.log("alpha"), toPath: lab.log("alpha") + ".round-\(round)")
        }
        // The kills landed inside the rejoin (it has far more copies to push than ten rounds allow).
        #expect(unfinished >= 8, "only \(unfinished) of 10 rounds were killed before the rejoin finished")

        try lab.start("alpha")
        #expect(
            FailoverLab.waitUntil(seconds: 60) { lab.status("alpha").contains("\"phase\" : \"standby\"") },
            "\(lab.logs("alpha", last: 60))")
        #expect(
            FailoverLab.waitUntil(seconds: 30) { Self.tree(site) == Self.tree(replica) },
            "log: \(lab.logs("alpha", last: 80))")
        #expect(lab.clientAnswer() == "lab-service beta")

        // The state an uninterrupted rejoin gives: beta's changes stand, each of alpha's versions is kept once.
        let merged = Self.tree(replica)
        #expect(merged["a.txt"] == "a2 beta" && merged["b.txt"] == nil && merged["beta-new.txt"] == "new on beta")
        #expect(merged["c.txt"] == "c1" && merged["d.txt"] == "d2 beta")
        #expect(Self.copies(in: merged, of: "c.txt").map { merged[$0] } == ["c2 alpha"])
        #expect(Self.copies(in: merged, of: "d.txt").map { merged[$0] } == ["d2 alpha"])
        var wrong: [String] = []
        for number in 0..<late {
            let copies = Self.copies(in: merged, of: "late-\(number).txt")
            if merged["late-\(number).txt"] != nil
                || copies.map({ merged[$0] }) != ["late \(number) " + String(repeating: "x", count: 1000)]
            {
                wrong.append("late-\(number).txt: \(copies)")
            }
        }
        #expect(wrong.isEmpty, "\(wrong.count) late files not kept exactly once, e.g. \(wrong.prefix(3))")
        #expect(merged.keys.filter { $0.contains(".understudy-conflict-") }.count == late + 2)
        let leftovers =
            ((try? FileManager.default.subpathsOfDirectory(atPath: replica)) ?? [])
            + ((try? FileManager.default.subpathsOfDirectory(atPath: site)) ?? [])
        #expect(
            leftovers.filter { $0.contains(".understudy.tmp.") }.isEmpty,
            "temporaries left: \(leftovers.filter { $0.contains(".understudy.") })")

        // Each conflict recorded once, on both nodes.
        let expected = (["c.txt", "d.txt"] + (0..<late).map { "late-\($0).txt" }).sorted()
        for node in ["beta", "alpha"] {
            let listed = lab.understudy(["conflicts", "list", "web", "--node", node, "--json"])
            #expect(listed.status == 0, "\(listed.output)")
            let conflicts = try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [[String: Any]] ?? []
            #expect(
                conflicts.compactMap { $0["path"] as? String }.sorted() == expected,
                "\(node): \(conflicts.count) records")
        }
    }
}
