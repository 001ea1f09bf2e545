#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// A daemon without a privilege fanotify needs (run under `setpriv` with it taken out of the bounding set) falls
/// back to inotify with `change_capture = "auto"`, and says why; with `"fanotify"` it says the share is left to
/// periodic comparisons.
@Suite struct ChangeCaptureFallbackTests {
    @Test(arguments: [("sys_admin", "fanotify_mark"), ("dac_read_search", "open_by_handle_at")])
    func auto_fallsBackToInotify_andSaysWhy_whenAPrivilegeIsMissing(
        _ capability: String, _ failing: String
    ) async throws {
        let cluster = try TestCluster(label: "capture-fallback-\(capability)")
        defer { Task { await cluster.remove() } }
        let log = cluster.root + "/alpha.log"
        let primary = try DaemonProcess(
            config: cluster.configPath, node: "alpha", log: log, wrapper: Self.without(capability))
        defer { primary.terminate() }
        let text = await Self.waitForLog(log, containing: "for changes with inotify")
        #expect(text.contains("fanotify is not available for \(cluster.source) (\(failing)"), "\(text)")
        #expect(text.contains("Operation not permitted"), "\(text)")
        #expect(text.contains("watching 1 directories of files/data for changes with inotify"), "\(text)")
    }

    @Test func fanotifyRequired_leavesTheShareToComparisons_andSaysSo_whenAPrivilegeIsMissing() async throws {
        let cluster = try TestCluster(
            label: "capture-required", nodeExtra: ["alpha": "change_capture = \"fanotify\""])
        defer { Task { await cluster.remove() } }
        let log = cluster.root + "/alpha.log"
        let primary = try DaemonProcess(
            config: cluster.configPath, node: "alpha", log: log, wrapper: Self.without("sys_admin"))
        defer { primary.terminate() }
        let text = await Self.waitForLog(log, containing: "periodic full comparisons")
        #expect(text.contains("cannot watch \(cluster.source) for changes: fanotify_mark"), "\(text)")
        #expect(!text.contains("with inotify"), "\(text)")
    }

    /// `setpriv` running the daemon without `capability` (root keeps the rest).
    static func without(_ capability: String) -> [String] {
        ["/usr/bin/setpriv", "--bounding-set=-\(capability)", "--inh-caps=-\(capability)", "--"]
    }

    /// The log once it holds `text`, or after 20 s.
    static func waitForLog(_ path: String, containing text: String) async -> String {
        for _ in 0..<200 {
            if let log = try? String(contentsOfFile: path, encoding: .utf8), log.contains(text) { return log }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}
