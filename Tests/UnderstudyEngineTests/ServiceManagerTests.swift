#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudyControl
import UnderstudyCore
import UnderstudySupport

/// `understudy run` under a service manager (`Type=notify`): it says READY=1 once the node answers, sends its state
/// as STATUS= lines and the watchdog's keep-alive, and STOPPING=1 at a clean stop; all on a test NOTIFY_SOCKET.
struct ServiceManagerTests {
    @Test func run_tellsTheServiceManager_ready_status_watchdog_andStopping() async throws {
        let cluster = try TestCluster(label: "notify")
        defer { Task { await cluster.remove() } }
        let receiver = try NotifyReceiver(address: cluster.root + "/notify.sock")
        let daemon = try DaemonProcess(
            config: cluster.configPath, node: "alpha", log: cluster.root + "/alpha.log",
            wrapper: ["/usr/bin/env", "NOTIFY_SOCKET=\(receiver.address)", "WATCHDOG_USEC=1000000"])
        defer { daemon.terminate() }
        let ready = try await onThread { receiver.messages(until: { $0.contains("READY=1") }, seconds: 60) }
        let first = try #require(ready.last, "no READY=1 within 60 s: \(ready)")
        #expect(first.contains("MAINPID=\(daemon.pid)"), "\(first)")
        #expect(first.contains("STATUS=files primary"), "the status names the group and the role: \(first)")
        // Ready means answering: the control socket takes a request at once.
        #expect(try await onThread { try cluster.control("alpha").send(ControlRequest.status, waitingUpTo: 1) }.ok)
        // Half the watchdog's second: about two keep-alives a second, each with the state.
        let next = try await onThread { receiver.messages(until: { _ in false }, seconds: 2.2) }
        let keepAlives = next.filter { $0.contains("WATCHDOG=1") }
        #expect(keepAlives.count >= 3, "\(next)")
        #expect(keepAlives.allSatisfy { $0.contains("STATUS=files primary") }, "\(next)")
        #expect(!next.contains { $0.contains("READY=1") }, "READY=1 is said once: \(next)")
        kill(daemon.pid, SIGTERM)
        let last = try await onThread { receiver.messages(until: { $0.contains("STOPPING=1") }, seconds: 20) }
        #expect(last.last?.contains("STOPPING=1") == true, "\(last)")
        #expect(daemon.child.wait(seconds: 30))
        #expect(daemon.child.waitStatus == 0)
    }

    @Test func aNotifySocketInTheAbstractNamespace_getsTheMessage() throws {
        let name = "@understudy-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let receiver = try NotifyReceiver(address: name)
        let socket = try #require(ServiceManagerSocket(environment: ["NOTIFY_SOCKET": name]))
        try socket.send("READY=1\nSTATUS=all well")
        #expect(receiver.messages(until: { _ in true }, seconds: 5) == ["READY=1\nSTATUS=all well"])
    }

    @Test func theEnvironment_namesTheSocketAndTheWatchdog_onlyForThisProcess() {
        #expect(ServiceManagerSocket(environment: [:]) == nil)
        #expect(ServiceManagerSocket(environment: ["NOTIFY_SOCKET": "relative/path"]) == nil)
        #expect(ServiceManagerSocket(environment: ["NOTIFY_SOCKET": "/" + String(repeating: "x", count: 200)]) == nil)
        let plain = ServiceManagerSocket(environment: ["NOTIFY_SOCKET": "/run/notify"])
        #expect(plain?.watchdogTimeout == nil)
        let watched = ServiceManagerSocket(environment: ["NOTIFY_SOCKET": "/run/notify", "WATCHDOG_USEC": "30000000"])
        #expect(watched?.watchdogTimeout == .seconds(30))
        let other = ServiceManagerSocket(
            environment: ["NOTIFY_SOCKET": "/run/notify", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"])
        #expect(other?.watchdogTimeout == nil, "a watchdog for another process is not ours")
        let bad = ServiceManagerSocket(environment: ["NOTIFY_SOCKET": "/run/notify", "WATCHDOG_USEC": "soon"])
        #expect(bad?.watchdogTimeout == nil)
    }

    @Test func aSocketThatIsGone_isAnErrorNamingIt() throws {
        let socket = try #require(
            ServiceManagerSocket(environment: ["NOTIFY_SOCKET": "/nonexistent/understudy-notify"]))
        let error = #expect(throws: ServiceManagerSocketError.self) { try socket.send("READY=1") }
        #expect(error?.description.contains("NOTIFY_SOCKET=/nonexistent/understudy-notify") == true)
        #expect(error?.description.contains("No such file or directory") == true, "\(String(describing: error))")
    }
}
