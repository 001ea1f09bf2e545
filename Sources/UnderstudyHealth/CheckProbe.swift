#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import UnderstudyCore
import UnderstudySupport

/// Runs one service check once: connect, GET, read a file, or run a command, each within the check's timeout.
/// The result is a verdict and a short message for status and alerts ("HTTP 503", "connection refused").
package struct CheckProbe: Sendable {
    package struct Result: Sendable, Equatable {
        package var passed: Bool
        package var message: String
    }

    let check: CheckConfiguration
    let group: any EventLoopGroup
    /// In a proof: an SMTP check delivers its test message (to the proof's private spool); on a live node it stops
    /// after the recipient was accepted, so no test mail piles up in real mailboxes.
    let inProof: Bool
    private let http: HTTPClient
    /// A file read that hangs (a dead NFS server) keeps its thread; the next run fails at once instead of
    /// piling up threads.
    private let fileReadBusy = NIOLockedValueBox(false)

    package init(check: CheckConfiguration, group: any EventLoopGroup, inProof: Bool = false) {
        self.check = check
        self.group = group
        self.inProof = inProof
        var insecure = false
        if case .http(_, _, _, let skip) = check.probe { insecure = skip }
        http = HTTPClient(eventLoopGroup: group, tls: HTTPClientTLSOptions(insecureSkipVerify: insecure))
    }

    package func run() async -> Result {
        let timeout = check.timeout.seconds
        let started = MonotonicClock.seconds()
        var result: Result
        switch check.probe {
        case .tcp(let address):
            result = await connect(address, timeout: timeout)
        case .http(let url, let expectStatus, let expectBody, _):
            result = await get(url, expectStatus: expectStatus, expectBody: expectBody, timeout: timeout)
        case .file(let path, let expectBody):
            result = await read(path, expectBody: expectBody, timeout: timeout)
        case .smtp(let address, let mailTo):
            result = await talk(
                SMTPDialog(address: address, mailTo: mailTo, deliver: inProof, group: group), timeout: timeout)
        case .command(let command):
            let outcome = await ProcessRunner.run(
                command, environment: ["UNDERSTUDY_CHECK": check.name], timeout: timeout)
            let output = outcome.output.split(separator: "\n").last.map { ": " + $0.prefix(200) } ?? ""
            result = Result(passed: outcome.succeeded, message: outcome.summary + output)
        }
        if result.passed {
            result.message += " in \(Int((MonotonicClock.seconds() - started) * 1000)) ms"
        }
        return result
    }

    private func connect(_ address: PeerAddress, timeout: Double) async -> Result {
        do {
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(.milliseconds(Int64(timeout * 1000)))
                .connect(host: address.host, port: address.port).get()
            try? await channel.close()
            return Result(passed: true, message: "connected to \(address)")
        } catch let error as ChannelError where error == .connectTimeout(.milliseconds(Int64(timeout * 1000))) {
            return Result(passed: false, message: "no connection to \(address) within \(timeout) s")
        } catch {
            return Result(passed: false, message: "cannot connect to \(address): \(Self.describe(error))")
        }
    }

    private func get(_ url: String, expectStatus: Int?, expectBody: String?, timeout: Double) async -> Result {
        do {
            let response = try await http.get(url, timeout: timeout)
            let statusGood = expectStatus.map { $0 == response.status } ?? (200..<400).contains(response.status)
            guard statusGood else {
                return Result(
                    passed: false,
                    message: "HTTP \(response.status) \(response.reason)"
                        + (expectStatus.map { ", expected \($0)" } ?? ""))
            }
            if let expectBody, !response.bodyText.contains(expectBody) {
                return Result(passed: false, message: "HTTP \(response.status) but the body lacks \"\(expectBody)\"")
            }
            return Result(passed: true, message: "HTTP \(response.status)")
        } catch {
            return Result(passed: false, message: error.description)
        }
    }

    /// The SMTP dialogue within `timeout`: past it, the connection is closed and the check fails.
    private func talk(_ dialog: SMTPDialog, timeout: Double) async -> Result {
        await withTaskGroup(of: Result?.self) { tasks in
            tasks.addTask {
                do {
                    return Result(passed: true, message: try await dialog.run())
                } catch let failure as SMTPDialog.Failure {
                    return Result(passed: false, message: "\(dialog.address): \(failure.description)")
                } catch {
                    return Result(
                        passed: false, message: "cannot talk SMTP to \(dialog.address): \(Self.describe(error))")
                }
            }
            tasks.addTask {
                try? await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
                return Task.isCancelled
                    ? nil : Result(passed: false, message: "\(dialog.address): no SMTP answer within \(timeout) s")
            }
            defer { tasks.cancelAll() }
            for await result in tasks {
                if let result { return result }
            }
            return Result(passed: false, message: "\(dialog.address): the check was cancelled")
        }
    }

    private func read(_ path: String, expectBody: String?, timeout: Double) async -> Result {
        let busy = fileReadBusy.withLockedValue { busy -> Bool in
            if busy { return true }
            busy = true
            return false
        }
        if busy { return Result(passed: false, message: "the previous read of \(path) still hangs") }
        let outcome = NIOLockedValueBox<Result?>(nil)
        let flag = fileReadBusy
        let thread = Thread {
            let result = Self.readFile(path, expectBody: expectBody)
            outcome.withLockedValue { $0 = result }
            flag.withLockedValue { $0 = false }
        }
        thread.start()
        let deadline = MonotonicClock.seconds() + timeout
        while MonotonicClock.seconds() < deadline {
            if let result = outcome.withLockedValue({ $0 }) { return result }
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
        return outcome.withLockedValue { $0 }
            ?? Result(passed: false, message: "reading \(path) took longer than \(timeout) s")
    }

    private static func readFile(_ path: String, expectBody: String?) -> Result {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return Result(passed: false, message: "cannot open \(path): \(errnoText(errno))") }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else { return Result(passed: false, message: "cannot read \(path): \(errnoText(errno))") }
        if let expectBody, !String(decoding: buffer[..<count], as: UTF8.self).contains(expectBody) {
            return Result(passed: false, message: "\(path) does not contain \"\(expectBody)\"")
        }
        return Result(passed: true, message: "read \(count) bytes of \(path)")
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? IOError { return errnoText(error.errnoCode) }
        if let error = error as? NIOConnectionError, let first = error.connectionErrors.first {
            return describe(first.error)
        }
        return "\(error)"
    }
}
