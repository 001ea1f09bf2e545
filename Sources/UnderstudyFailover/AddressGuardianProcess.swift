#if canImport(Glibc)
import Glibc
#endif
import UnderstudyCore

/// The guardian's own life (`understudy guard`, started by `AddressGuardian`): it reads "hold INTERFACE ADDRESS/PREFIX"
/// and "drop ..." lines on its standard input, and when that ends — its daemon is gone, however it went — it removes
/// every address it still holds, says so on standard error (the daemon's log) and exits.
public enum AddressGuardianProcess {
    public static func run(daemonPID: Int32, input: Int32 = 0) -> Int32 {
        // A stop of the whole service (SIGTERM to every process), a Ctrl-C, a closed terminal: the guardian outlives
        // its daemon to clean up after it.
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        var held: [String: (address: ServiceAddress, interface: String)] = [:]
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            pending += buffer[..<count]
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                let words = line.split(separator: " ")
                guard words.count == 3, let address = try? ServiceAddress.parse(String(words[2])) else {
                    say("ignoring a line it does not understand: \(String(reflecting: String(line.prefix(200))))")
                    continue
                }
                let key = words[1] + " " + words[2]
                if words[0] == "hold" {
                    held[String(key)] = (address, String(words[1]))
                } else {
                    held[String(key)] = nil
                }
            }
        }
        for (_, item) in held.sorted(by: { $0.key < $1.key }) {
            do {
                let removed = try InterfaceAddresses.remove(item.address, interface: item.interface)
                say(
                    "daemon \(daemonPID) ended; \(removed ? "removed" : "found no") \(item.address) \(removed ? "from" : "on") \(item.interface)"
                )
            } catch {
                say(
                    "daemon \(daemonPID) ended, but \(item.address) could not be removed from \(item.interface): \(error)"
                )
            }
        }
        return 0
    }

    private static func say(_ text: String) {
        let line = Array("understudy guard: \(text)\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
