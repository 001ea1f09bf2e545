import Foundation

import Hummingbird
import NIOCore
import UnderstudyControl
import UnderstudyCore
import UnderstudyState

/// The event log: pages of it (`/api/v1/events?before=ID&limit=N`, newest first), and a Server-Sent Events stream
/// (`/api/v1/events/stream`) whose every event carries its log id, so that a client that reconnects with
/// `Last-Event-ID` (or `?after=ID`) misses nothing in between.
extension ConsoleAPI {
    static let pageLimit = 1000
    /// How often the stream looks for new events, and how often it sends a comment to keep proxies from closing it.
    static let streamPoll = Duration.milliseconds(250)
    static let keepAliveEvery = 60

    func eventsPage(_ request: Request) async -> Response {
        await Self.answering { () throws(APIFailure) -> Response in
            _ = try caller(request, needs: .viewer)
            let query = request.uri.queryParameters
            let before = try Self.integer(query.get("before"), "before")
            let limit = try Self.integer(query.get("limit"), "limit") ?? 100
            guard (1...Int64(Self.pageLimit)).contains(limit) else {
                throw APIFailure.badRequest("limit must be from 1 to \(Self.pageLimit)")
            }
            let page: [EventRecord]
            do {
                page = try events.events(before: before, after: nil, limit: Int(limit))
            } catch {
                throw APIFailure(status: .internalServerError, code: "database", message: "\(error)")
            }
            struct Page: Encodable {
                let events: [EventRecord]
                /// `before` for the next (older) page; nil at the start of the log.
                let next: Int64?
            }
            let next = page.count == Int(limit) ? page.last?.id : nil
            return APIReply.json(Page(events: page, next: next), status: .ok)
        }
    }

    func eventStream(_ request: Request) async -> Response {
        await Self.answering { () throws(APIFailure) -> Response in
            _ = try caller(request, needs: .viewer)
            let resume = Self.header(request, "last-event-id") ?? request.uri.queryParameters.get("after")
            let start: Int64
            if let resume {
                guard let id = Int64(resume), id >= 0 else {
                    throw APIFailure.badRequest(
                        "Last-Event-ID (or after) must be an event id, not \(String(reflecting: resume))")
                }
                start = id
            } else {
                // Only what happens from now on.
                start = (try? events.events(before: nil, after: nil, limit: 1).first?.id) ?? 0
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-store"
            let events = events
            let stopping = stopping
            let body = ResponseBody { writer in
                var after = start
                try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                var quiet = 0
                while !stopping.withLockedValue({ $0 }), !Task.isCancelled {
                    let fresh = (try? events.events(before: nil, after: after, limit: 500)) ?? []
                    for event in fresh {
                        try await writer.write(ByteBuffer(string: Self.frame(event)))
                        after = event.id ?? after
                    }
                    quiet = fresh.isEmpty ? quiet + 1 : 0
                    if quiet >= Self.keepAliveEvery {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        quiet = 0
                    }
                    try await Task.sleep(for: Self.streamPoll)
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: headers, body: body)
        }
    }

    /// One SSE message: `id`, `event: event`, the record as one line of JSON.
    static func frame(_ event: EventRecord) -> String {
        let json = (try? JSONEncoder.control.encode(event)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "id: \(event.id ?? 0)\nevent: event\ndata: \(json)\n\n"
    }

    static func integer(_ text: String?, _ name: String) throws(APIFailure) -> Int64? {
        guard let text else { return nil }
        guard let value = Int64(text), value >= 0 else {
            throw APIFailure.badRequest("\(name) must be a whole number, not \(String(reflecting: text))")
        }
        return value
    }
}
