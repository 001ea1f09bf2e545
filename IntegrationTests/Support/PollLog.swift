#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// What the client saw, from the file `scripts/lab-poll` writes: one line per attempt,
/// `MONOTONIC_TIME  ok|fail  BODY-OR-ERROR` (fields separated by two spaces), an ok body being `lab-service NODE`.
struct PollLog {
    struct Attempt {
        var at: Double
        var node: String?
    }

    let attempts: [Attempt]

    init(path: String) {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        attempts = text.split(separator: "\n").compactMap { line in
            let fields = line.components(separatedBy: "  ")
            guard fields.count >= 2, let at = Double(fields[0]), fields[1] == "ok" || fields[1] == "fail" else {
                return nil
            }
            let body = fields.count > 2 ? fields[2] : ""
            let node =
                fields[1] == "ok" && body.hasPrefix("lab-service ") ? String(body.dropFirst("lab-service ".count)) : nil
            return Attempt(at: at, node: node)
        }.sorted { $0.at < $1.at }
    }

    /// From the first attempt after `failedAt` that `old` did not answer to the first answer from `new`.
    func outage(after failedAt: Double, old: String, new: String) -> Double? {
        let after = attempts.filter { $0.at >= failedAt }
        guard let firstMiss = after.first(where: { $0.node != old }),
            let firstNew = after.first(where: { $0.node == new })
        else { return nil }
        return firstNew.at - firstMiss.at
    }

    /// Answers from `old` after the first answer from `new`: must be none once a takeover happened.
    func answers(from old: String, afterFirstFrom new: String) -> Int {
        guard let firstNew = attempts.first(where: { $0.node == new }) else { return 0 }
        return attempts.filter { $0.at > firstNew.at && $0.node == old }.count
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
