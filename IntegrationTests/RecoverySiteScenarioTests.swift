#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// Issue 15's disaster recovery in the lab: the main site (alpha, beta) is lost while omega's off-site copy, behind
/// the slow WAN, lags behind beta. `understudy failover web` on omega takes the group over at the recovery site: its
/// own address (10.77.7.100 on its WAN interface, another subnet) and scripts, reached by a client there. beta and
/// alpha come back: both learn omega's epoch, reconcile with it (beta's version that never got there is kept as a
/// conflict copy) and follow it; alpha never takes its address back.
@Suite(.serialized)
struct RecoverySiteScenarioTests {
    static let recoveryAddress = "10.77.7.100"

    /// What a client at the recovery site (the WAN router's namespace) gets from the recovery address, or nil.
    static func recoveryAnswer(_ lab: FailoverLab) -> String? {
        let (status, output) = lab.exec("wan", ["curl", "-s", "-m", "0.5", "http://\(recoveryAddress)/"])
        return status == 0 ? output.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    static func file(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    @Test func mainSiteLost_theOffsiteNodeServesAtTheRecoverySite_andTheMainSiteFollowsItWhenBack() throws {
        let lab = try FailoverLab("rs")
        defer { lab.shutdown() }
        try lab.configure(
            group: """
                offsite_service_address = "\(Self.recoveryAddress)/24"
                offsite_interface = "wan0"
                offsite_start = ["\(lab.directory)/start.sh"]
                offsite_stop = ["\(lab.directory)/stop.sh"]
                """, notify: false, offsite: true)
        let shaped = lab.lab("shape", "PREFIX", "40", "0.5", "8mbit")
        #expect(shaped.status == 0, "\(shaped.output)")
        let site = lab.directory + "/site"
        let replica = lab.directory + "/replica"
        let offsite = lab.directory + "/offsite-site"
        for index in 0..<20 {
            FileManager.default.createFile(
                atPath: site + "/page-\(index).html", contents: Data("page \(index)\n".utf8))
        }
        for node in ["alpha", "beta", "omega"] { try lab.start(node) }
        #expect(FailoverLab.waitUntil(seconds: 30) { lab.clientAnswer() == "lab-service alpha" }, "alpha serves web")
        #expect(
            FailoverLab.waitUntil(seconds: 60) { TreeSnapshot(site) == TreeSnapshot(offsite) },
            "omega's copy: \(lab.logs("omega", last: 30))")

        // While the main site feeds it, omega refuses; nothing changes.
        let refused = lab.understudy(["failover", "web", "--node", "omega"])
        #expect(refused.status != 0 && refused.output.contains("feeds this node's copy"), "\(refused.output)")
        #expect(Self.recoveryAnswer(lab) == nil)

        // The off-site node is away while the main site changes a page; the page reaches beta only.
        lab.killDaemon("omega")
        try Data("changed at the main site, never off-site\n".utf8).write(
            to: URL(fileURLWithPath: site + "/page-1.html"))
        #expect(
            FailoverLab.waitUntil(seconds: 20) {
                Self.file(replica + "/page-1.html") == "changed at the main site, never off-site\n"
            }, "beta has the change")

        // The main site is lost.
        lab.killDaemon("alpha")
        if let service = lab.servicePID("alpha") { kill(service, SIGKILL) }
        lab.killDaemon("beta")
        _ = lab.lab("isolate", "PREFIX", "alpha")
        _ = lab.lab("isolate", "PREFIX", "beta")

        try lab.start("omega")
        var taken = lab.understudy(["failover", "web", "--node", "omega"])
        for _ in 0..<50 where taken.status != 0 && taken.output.contains("cannot reach the daemon") {
            usleep(200_000)
            taken = lab.understudy(["failover", "web", "--node", "omega"])
        }
        #expect(taken.status == 0, "\(taken.output)")
        #expect(
            FailoverLab.waitUntil(seconds: 20) { Self.recoveryAnswer(lab) == "lab-service omega" },
            "a client at the recovery site reaches omega's service on \(Self.recoveryAddress): \(lab.logs("omega", last: 30))"
        )
        #expect(lab.exec("omega", ["ip", "-4", "addr", "show", "wan0"]).output.contains(Self.recoveryAddress + "/24"))
        // Clients write at the recovery site.
        try Data("changed at the recovery site\n".utf8).write(to: URL(fileURLWithPath: offsite + "/page-1.html"))
        try Data("new at the recovery site\n".utf8).write(to: URL(fileURLWithPath: offsite + "/recovery.html"))

        // beta comes back: it asks omega at start, never takes web over, reconciles and follows omega.
        _ = lab.lab("rejoin", "PREFIX", "beta")
        try lab.start("beta")
        #expect(
            FailoverLab.waitUntil(seconds: 60) { TreeSnapshot(offsite) == TreeSnapshot(replica) },
            "beta follows omega: \(TreeSnapshot(offsite).difference(TreeSnapshot(replica)).prefix(3)); beta: \(lab.logs("beta", last: 30))"
        )
        let names = (try? FileManager.default.contentsOfDirectory(atPath: offsite)) ?? []
        let copies = names.filter { $0.hasPrefix("page-1.understudy-conflict-beta") }
        #expect(copies.count == 1, "beta's version kept beside omega's: \(names.sorted())")
        #expect(
            copies.first.flatMap { Self.file(offsite + "/" + $0) } == "changed at the main site, never off-site\n")
        #expect(Self.file(offsite + "/page-1.html") == "changed at the recovery site\n")
        #expect(!lab.holdsServiceAddress("beta"), "beta took nothing over")

        // alpha comes back holding its old epoch: it hears omega's and follows it instead of serving.
        _ = lab.lab("rejoin", "PREFIX", "alpha")
        try lab.start("alpha")
        #expect(
            FailoverLab.waitUntil(seconds: 60) { TreeSnapshot(offsite) == TreeSnapshot(site) },
            "alpha follows omega: \(TreeSnapshot(offsite).difference(TreeSnapshot(site)).prefix(3)); alpha: \(lab.logs("alpha", last: 30))"
        )
        // Well past the dead time: alpha never took its address back, omega still serves.
        usleep(3_000_000)
        #expect(!lab.holdsServiceAddress("alpha"), "\(lab.logs("alpha", last: 30))")
        #expect(lab.clientAnswer() == nil, "nobody serves the main site's address")
        #expect(Self.recoveryAnswer(lab) == "lab-service omega")
        let status = lab.status("omega")
        #expect(status.contains("\"role\" : \"primary\""), "\(status)")

        // Home again: beta, in step with omega, is refused without --force, then takes the group back; omega hears the
        // higher epoch, gives up its address (its stop script runs), reconciles with beta and keeps its copy again.
        try Data("last change at the recovery site\n".utf8).write(to: URL(fileURLWithPath: offsite + "/last.html"))
        #expect(
            FailoverLab.waitUntil(seconds: 30) { TreeSnapshot(offsite) == TreeSnapshot(replica) }, "beta in step")
        let held = lab.understudy(["failover", "web", "--node", "beta"])
        #expect(held.status != 0 && held.output.contains("at the recovery site"), "\(held.output)")
        let home = lab.understudy(["failover", "web", "--node", "beta", "--force"])
        #expect(home.status == 0, "\(home.output)")
        #expect(FailoverLab.waitUntil(seconds: 20) { lab.clientAnswer() == "lab-service beta" }, "beta serves web")
        #expect(
            FailoverLab.waitUntil(seconds: 30) { Self.recoveryAnswer(lab) == nil && lab.servicePID("omega") == nil },
            "omega gave the recovery address and its service up: \(lab.logs("omega", last: 30))")
        #expect(!lab.exec("omega", ["ip", "-4", "addr", "show", "wan0"]).output.contains(Self.recoveryAddress + "/"))
        try Data("written at home again\n".utf8).write(to: URL(fileURLWithPath: replica + "/home.html"))
        #expect(
            FailoverLab.waitUntil(seconds: 60) { TreeSnapshot(replica) == TreeSnapshot(offsite) },
            "omega keeps its copy again, fed by beta: \(TreeSnapshot(replica).difference(TreeSnapshot(offsite)).prefix(3)); omega: \(lab.logs("omega", last: 30))"
        )
        #expect(Self.file(offsite + "/last.html") == "last change at the recovery site\n")
        let back = lab.status("omega")
        #expect(back.contains("\"role\" : \"offsite\""), "\(back)")
    }
}
