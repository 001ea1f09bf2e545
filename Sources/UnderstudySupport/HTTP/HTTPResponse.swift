/// A response as a service check or a webhook needs it: the status and the start of the body.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    /// The standard reason phrase of the status ("OK", "Service Unavailable").
    public var reason: String
    /// Header fields in the order received; names as the server wrote them.
    public var headers: [Field]
    /// The body, at most the request's limit.
    public var body: [UInt8]
    /// True when the body was longer than the limit and was cut (the connection is then closed early).
    public var bodyTruncated: Bool

    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(status: Int, reason: String, headers: [Field], body: [UInt8], bodyTruncated: Bool) {
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.bodyTruncated = bodyTruncated
    }

    /// The first value of a header, its name compared without case.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body as UTF-8 text (invalid bytes replaced), for substring checks and logs.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }
}
