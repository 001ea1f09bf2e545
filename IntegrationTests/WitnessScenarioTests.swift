#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// Issue 19's witness on real nodes in namespaces: gamma has a link of its own to alpha (wa) and to beta (wb), and
/// breaks the tie when alpha and beta cannot hear each other.
@Suite(.serialized)
struct WitnessScenarioTests {
    static func running(_ label: String) throws -> FailoverLab {
        let lab = try FailoverLab(label)
        do {
            try lab.configure(witness: true)
            try lab.startMailServer()
            try lab.start("gamma")
            try lab.start("alpha")
            try lab.start("beta")
            guard FailoverLab.waitUntil(seconds: 20, { lab.clientAnswer() == "lab-service alpha" }) else {
                throw LabError("alpha never served: \(lab.logs("alpha"))")
            }
            // Each node hears the witness, and beta's replica completed its first sync.
            guard
                FailoverLab.waitUntil(
                    seconds: 15,
                    {
                        lab.status("beta").contains("\"lastSyncAt\"")
                            && lab.status("beta").components(separatedBy: "\"state\" : \"up\"").count - 1 == 3
                            && lab.status("alpha").components(separatedBy: "\"state\" : \"up\"").count - 1 == 3
                    })
            else { throw LabError("the witness or the peer is not heard: \(lab.status("beta"))") }
            return lab
        } catch {
            lab.shutdown()
            throw error
        }
    }

    @Test func scenario15_aPartitionLeavingTheStandbyAloneWithTheWitness_causesNoTakeover_untilTheWitnessAgrees() throws
    {
        let lab = try Self.running("w15")
        defer { lab.shutdown() }
        // beta loses both its links to alpha (and the LAN, so its service check fails too); gamma still hears alpha.
        _ = lab.exec("beta", ["ip", "link", "set", "ded0", "down"])
        _ = lab.exec("beta", ["ip", "link", "set", "lan0", "down"])
        usleep(4_000_000)
        #expect(
            !lab.holdsServiceAddress("beta"),
            "beta took over although the witness hears alpha: \(lab.logs("beta", last: 30))")
        #expect(lab.clientAnswer() == "lab-service alpha")
        #expect(
            lab.logs("beta", last: 200).contains("its witness (node gamma) still hears alpha"),
            "\(lab.logs("beta", last: 30))")
        // Now alpha really fails: the witness no longer hears it either, and beta takes over.
        kill(try #require(lab.daemonPID("alpha")), SIGKILL)
        kill(try #require(lab.servicePID("alpha")), SIGKILL)
        _ = lab.lab("isolate", "PREFIX", "alpha")
        #expect(
            FailoverLab.waitUntil(seconds: 8) { lab.holdsServiceAddress("beta") },
            "beta never took over once the witness agreed: \(lab.logs("beta", last: 30))")
        // The address comes before the start scripts end the takeover.
        #expect(
            FailoverLab.waitUntil(seconds: 8) { lab.status("beta").contains("\"phase\" : \"active\"") },
            "\(lab.logs("beta", last: 30))")
    }

    @Test func scenario16_aPrimaryThatHearsNeitherItsPeerNorTheWitness_givesItsAddressUp_beforeTheStandbyTakesIt()
        throws
    {
        let lab = try Self.running("w16")
        defer { lab.shutdown() }
        let sampler = AddressSampler(lab: lab)
        sampler.start()
        usleep(200_000)
        let isolatedAt = PollLog.now()
        // No isolation check is configured: the witness alone tells alpha it is the one cut off.
        _ = lab.lab("isolate", "PREFIX", "alpha")
        let released = FailoverLab.waitUntil(seconds: 5) { !lab.holdsServiceAddress("alpha") }
        let releasedAfter = PollLog.now() - isolatedAt
        #expect(released, "the isolated alpha kept its address: \(lab.logs("alpha", last: 30))")
        print(
            "scenario 16: alpha, hearing neither beta nor gamma, released its address \(String(format: "%.3f", releasedAfter)) s after losing its links"
        )
        #expect(lab.logs("alpha", last: 200).contains("hears neither its peer nor its witness"))
        // The witness does not hear alpha either: beta takes over, and the client follows.
        #expect(
            FailoverLab.waitUntil(seconds: 8) { lab.clientAnswer() == "lab-service beta" },
            "\(lab.logs("beta", last: 30))")
        let samples = sampler.stop()
        let alphaLast = try #require(samples.last { $0.alpha }?.time)
        let betaFirst = try #require(samples.first { $0.beta }?.time)
        #expect(alphaLast < betaFirst, "alpha kept the address until beta had it")
        #expect(samples.allSatisfy { !($0.alpha && $0.beta) })
    }
}
