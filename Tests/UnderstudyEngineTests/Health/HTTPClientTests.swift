import Foundation
import NIOCore
import NIOPosix
import Testing
import UnderstudyNode
import UnderstudySupport

@Suite(.timeLimit(.minutes(1)))
struct HTTPClientTests {
    let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)

    @Test func returnsStatusAndBody_ofGET() async throws {
        let answer = LoopbackHTTPServer.response(
            status: "503 Service Unavailable", headers: ["X-Check: yes"], body: "down for now")
        try await withLoopbackHTTPServer(.respond(answer)) { server in
            let response = try await client.get("http://127.0.0.1:\(server.port)/health?full=1", timeout: 5)
            #expect(response.status == 503)
            #expect(response.bodyText == "down for now")
            #expect(!response.bodyTruncated)
            #expect(response.header("x-check") == "yes")
            let request = try #require(server.requests.first)
            #expect(request.hasPrefix("GET /health?full=1 HTTP/1.1\r\n"))
            #expect(request.contains("Host: 127.0.0.1:\(server.port)\r\n"))
            #expect(request.contains("Connection: close\r\n"))
        }
    }

    @Test func readsChunkedBody() async throws {
        let answer = Array(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n".utf8)
        try await withLoopbackHTTPServer(.respond(answer)) { server in
            let response = try await client.get("http://127.0.0.1:\(server.port)/", timeout: 5)
            #expect(response.status == 200)
            #expect(response.bodyText == "hello world")
        }
    }

    @Test func readsBody_untilServerCloses_whenItHasNoLength() async throws {
        let answer = Array("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nstatus: ok".utf8)
        try await withLoopbackHTTPServer(.respond(answer)) { server in
            let response = try await client.get("http://127.0.0.1:\(server.port)/", timeout: 5)
            #expect(response.status == 200)
            #expect(response.bodyText == "status: ok")
        }
    }

    @Test func cutsBody_after64KiB() async throws {
        let body = String(repeating: "x", count: 100_000) + "needle"
        try await withLoopbackHTTPServer(.respond(LoopbackHTTPServer.response(body: body))) { server in
            let response = try await client.get("http://127.0.0.1:\(server.port)/", timeout: 5)
            #expect(response.body.count == 64 * 1024)
            #expect(response.bodyTruncated)
            #expect(!response.bodyText.contains("needle"))
        }
    }

    @Test func postsBody_withContentType() async throws {
        try await withLoopbackHTTPServer(.respond(LoopbackHTTPServer.response(status: "204 No Content", body: ""))) {
            server in
            let response = try await client.post(
                "http://localhost:\(server.port)/hook", body: Array(#"{"a":1}"#.utf8),
                contentType: "application/json", timeout: 5)
            #expect(response.status == 204)
            let request = try #require(server.requests.first)
            #expect(request.hasPrefix("POST /hook HTTP/1.1\r\n"))
            #expect(request.contains("Content-Type: application/json\r\n"))
            #expect(request.contains("Content-Length: 7\r\n"))
            #expect(request.hasSuffix("\r\n\r\n{\"a\":1}"))
        }
    }

    @Test func timesOut_whenServerNeverAnswers() async throws {
        try await withLoopbackHTTPServer(.silent) { server in
            let url = "http://127.0.0.1:\(server.port)/"
            let started = ContinuousClock.now
            let error = await #expect(throws: HTTPClientError.self) { try await client.get(url, timeout: 0.3) }
            // Well under the never of a server that does not answer; a busy CI machine took 3.1 s.
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(error?.code == .timedOut)
            #expect(error?.message == "GET \(url) timed out after 0.3 s")
        }
    }

    @Test func reportsRefusedConnection() async throws {
        let reserved = try ReservedPort()
        defer { reserved.release() }
        let port = reserved.port
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.get("http://127.0.0.1:\(port)/", timeout: 5)
        }
        #expect(error?.code == .connectionRefused)
        #expect(error?.message == "GET http://127.0.0.1:\(port)/: connection refused")
    }

    @Test(arguments: [
        ("", "it is empty"),
        ("127.0.0.1/health", "it has no scheme"),
        ("ftp://host/", "scheme 'ftp' is not http or https"),
        ("http:///path", "the host is missing"),
        ("http://host:99999/", "port '99999' is not a number from 1 to 65535"),
        ("http://host:/", "port '' is not a number"),
        ("http://::1/", "an IPv6 address must be in brackets"),
        ("http://[zz::1]/", "is not an IPv6 address"),
        ("http://user:pw@host/", "user information"),
        ("http://host/a b", "contains a space"),
        ("http://ho$t/", "is not a valid host name"),
    ])
    func rejectsBadURL_withReason(_ url: String, _ reason: String) async {
        let error = await #expect(throws: HTTPClientError.self) { try await client.get(url, timeout: 1) }
        #expect(error?.code == .invalidURL)
        #expect(error?.message.hasPrefix("invalid URL '\(url)': ") == true)
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
    }

    @Test func parsesURLParts() throws {
        let v6 = try HTTPURL.parse("https://[FE80::1]:8443/status?x=1#top")
        #expect(v6 == HTTPURL(scheme: .https, host: "fe80::1", port: 8443, target: "/status?x=1"))
        #expect(v6.hostHeader == "[fe80::1]:8443")
        #expect(v6.hostIsIPAddress)
        let plain = try HTTPURL.parse("HTTP://Web.Example.com?q")
        #expect(plain == HTTPURL(scheme: .http, host: "web.example.com", port: 80, target: "/?q"))
        #expect(plain.description == "http://web.example.com/?q")
        #expect(!plain.hostIsIPAddress)
    }

    @Test func connectsOverTLS_toSelfSignedServer_onlyWhenTrusted() async throws {
        let certificate = try await SelfSignedCertificate.make()
        defer { certificate.remove() }
        try await withLoopbackHTTPServer(
            .respond(LoopbackHTTPServer.response(body: "secure")), certificate: certificate
        ) { server in
            let url = "https://127.0.0.1:\(server.port)/"
            let error = await #expect(throws: HTTPClientError.self) { try await client.get(url, timeout: 5) }
            #expect(error?.code == .tls)
            #expect(
                error?.message.hasPrefix("GET \(url): TLS: certificate not trusted") == true, "\(error?.message ?? "")")

            let insecure = HTTPClient(
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                tls: HTTPClientTLSOptions(insecureSkipVerify: true))
            let insecureResponse = try await insecure.get(url, timeout: 5)
            #expect(insecureResponse.bodyText == "secure")

            let pinned = HTTPClient(
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                tls: HTTPClientTLSOptions(caFile: certificate.certificatePath))
            let byAddress = try await pinned.get(url, timeout: 5)
            #expect(byAddress.bodyText == "secure")
            let byName = try await pinned.get("https://localhost:\(server.port)/", timeout: 5)
            #expect(byName.status == 200)
        }
    }

    @Test func reportsUnreadableCAFile() async throws {
        let client = HTTPClient(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            tls: HTTPClientTLSOptions(caFile: "/nonexistent/ca.pem"))
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.get("https://127.0.0.1:1/", timeout: 1)
        }
        #expect(error?.code == .tls)
        #expect(
            error?.message.hasPrefix("GET https://127.0.0.1:1/: TLS: cannot load CA file /nonexistent/ca.pem") == true)
    }
}
