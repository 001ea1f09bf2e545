#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// Issue 18: a standby that protects alpha (group web) is given a second primary, delta (group mail), by a reload of
/// the running daemons. Beta mirrors it and takes it over when delta dies, at its address; a reload that then removes
/// the group gives that address up, while web is served by alpha all along.
@Suite(.serialized)
struct ReloadScenarioTests {
    static let mailURL = "http://\(FailoverLab.mailAddress):8025/"

    @Test func aPrimaryAddedByAReload_isTakenOverWhenItDies_andRemovingItsGroupGivesTheAddressUp() throws {
        let lab = try FailoverLab("r1")
        defer { lab.shutdown() }
        try lab.configure(notify: false, secondPrimary: true)
        let full = try String(contentsOfFile: lab.configPath, encoding: .utf8)
        // The same cluster before delta: its node and group cut (beta's link towards it may stay, unused).
        let cut = try #require(full.range(of: "[nodes.delta]"))
        let before = String(full[..<cut.lowerBound])
        try lab.writeConfiguration(before)
        try lab.start("alpha")
        try lab.start("beta")
        #expect(
            FailoverLab.waitUntil(seconds: 30) { lab.clientAnswer() == "lab-service alpha" },
            "alpha serves web: \(lab.logs("alpha"))")
        func reload(_ node: String) -> String {
            let (status, output) = lab.understudy(["reload", "--node", node])
            #expect(status == 0, "\(output)")
            return output
        }

        try lab.writeConfiguration(full)
        #expect(reload("beta") == "node beta: applied the changes to node delta added, group mail added\n")
        #expect(
            reload("alpha")
                == "node alpha: applied the changes to node delta added (this node takes no part in it), group mail added (this node takes no part in it)\n"
        )
        try lab.start("delta")
        #expect(
            FailoverLab.waitUntil(seconds: 30) { lab.clientAnswer(url: Self.mailURL) == "lab-service delta" },
            "delta serves mail: \(lab.logs("delta"))")
        #expect(
            FailoverLab.waitUntil(seconds: 30) {
                lab.status("beta").components(separatedBy: "\"lastSyncAt\"").count - 1 >= 2
            }, "beta mirrors both groups: \(lab.logs("beta"))")
        try "mail".write(toFile: lab.directory + "/mail-source/letter.txt", atomically: true, encoding: .utf8)
        #expect(
            FailoverLab.waitUntil(seconds: 10) {
                FileManager.default.fileExists(atPath: lab.directory + "/mail-replica/letter.txt")
            }, "a change on delta reaches beta: \(lab.logs("beta"))")

        // delta dies: beta takes mail over at its address, and alpha still serves web.
        let diedAt = PollLog.now()
        kill(try #require(lab.daemonPID("delta")), SIGKILL)
        _ = lab.lab("isolate", "PREFIX", "delta")
        #expect(
            FailoverLab.waitUntil(seconds: 15) { lab.clientAnswer(url: Self.mailURL) == "lab-service beta" },
            "beta never served mail: \(lab.logs("beta", last: 60))")
        let tookOverAt = PollLog.now()
        #expect(lab.clientAnswer() == "lab-service alpha")

        // The group removed by a reload: beta gives its address up (the service it started is left running).
        func holdsMail() -> Bool {
            lab.exec("beta", ["ip", "-4", "addr", "show", "lan0"]).output.contains(FailoverLab.mailAddress + "/")
        }
        #expect(holdsMail())
        try lab.writeConfiguration(before)
        #expect(reload("beta") == "node beta: applied the changes to group mail removed, node delta removed\n")
        let removedAt = PollLog.now()
        #expect(FailoverLab.waitUntil(seconds: 10) { !holdsMail() }, "beta keeps mail's address: \(lab.logs("beta"))")
        print(
            "reload scenario: mail (added by a reload) taken over \(String(format: "%.2f", tookOverAt - diedAt)) s after delta died; its address gone \(String(format: "%.2f", PollLog.now() - removedAt)) s after the reload that removed it"
        )
        #expect(lab.logs("beta", last: 40).contains("group mail: its failover is watched no more; removed"))
        #expect(lab.clientAnswer() == "lab-service alpha")
        #expect(lab.holdsServiceAddress("alpha") && !lab.holdsServiceAddress("beta"))
    }
}
