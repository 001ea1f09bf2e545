import Foundation
import NIOPosix
import UnderstudyCore
import UnderstudySupport

/// How the CLI reaches a daemon: its control socket on the node itself, or its HTTPS API from elsewhere
/// (`--url`). Blocking: the CLI calls it.
public protocol ControlTransport: Sendable {
    func send(_ request: ControlRequest, waitingUpTo seconds: Double) throws -> ControlResponse
}

extension ControlClient: ControlTransport {}

/// `understudy --url https://alpha:8443 --token TOKEN status`: the same typed requests as the control socket,
/// posted to the node's `/api/v1/control` with an API token. With `caFile` (the cluster's `ca.pem`) the node's
/// certificate is verified against that authority alone, as peers verify each other (it names the node, not the
/// address); without, against the system's trust roots, host name included.
public struct RemoteControlClient: ControlTransport {
    public let base: String
    let token: String
    let client: HTTPClient
    /// A sync or a switchover may take long; the answer comes when it is done.
    static let answerTimeout = 6 * 3600.0

    public init(url: String, token: String, caFile: String?) throws {
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        guard base.lowercased().hasPrefix("https://") else {
            throw ControlClientError("--url must be the node's console, https://HOST:PORT, not '\(url)'")
        }
        self.base = base
        self.token = token
        client = HTTPClient(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            tls: HTTPClientTLSOptions(caFile: caFile, verifyHostname: caFile == nil))
    }

    public func send(_ request: ControlRequest, waitingUpTo seconds: Double) throws -> ControlResponse {
        let body = Array(try JSONEncoder.control.encode(request))
        let url = base + "/api/v1/control"
        let client = client
        let token = token
        let result = Blocking.run {
            try await client.post(
                url, body: body, contentType: "application/json", timeout: Self.answerTimeout, bodyLimit: 64 << 20,
                headers: [HTTPResponse.Field(name: "Authorization", value: "Bearer \(token)")])
        }
        let response: HTTPResponse
        do {
            response = try result.get()
        } catch {
            throw ControlClientError(unreachable: "cannot reach \(base): \(error)")
        }
        guard let answer = try? JSONDecoder.control.decode(ControlResponse.self, from: Data(response.body)) else {
            throw ControlClientError(
                "\(base) answered HTTP \(response.status) \(response.reason), not understudy's API; is --url the node's console?"
            )
        }
        return answer
    }
}

/// Runs async work to completion from synchronous code (the CLI's commands).
enum Blocking {
    static func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) -> Result<T, any Error> {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        Task {
            do {
                box.result = .success(try await body())
            } catch {
                box.result = .failure(error)
            }
            done.signal()
        }
        done.wait()
        return box.result!
    }

    private final class ResultBox<T: Sendable>: @unchecked Sendable {
        var result: Result<T, any Error>?
    }
}
