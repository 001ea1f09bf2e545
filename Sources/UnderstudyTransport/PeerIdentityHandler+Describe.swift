import Foundation
import NIOCore

extension PeerIdentityHandler {
    /// "127.0.0.1:50412", "[::1]:50412": the form an administrator would type, not NIO's "[IPv4]…".
    static func describe(_ address: SocketAddress?) -> String {
        guard let address else { return "unknown address" }
        switch address {
        case .v4:
            return "\(address.ipAddress ?? "?"):\(address.port ?? 0)"
        case .v6:
            return "[\(address.ipAddress ?? "?")]:\(address.port ?? 0)"
        case .unixDomainSocket:
            return "unix:\(address.pathname ?? "?")"
        }
    }

    static func describe(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
        return "\(milliseconds) ms"
    }

    /// A reason an administrator can act on, followed by the TLS library's own words.
    static func describeHandshakeFailure(_ error: any Error) -> String {
        let raw = String(describing: error)
        let hints: [(markers: [String], hint: String)] = [
            (["PEER_DID_NOT_RETURN_A_CERTIFICATE", "CERTIFICATE_REQUIRED"], "presented no client certificate"),
            (["CERTIFICATE_VERIFY_FAILED"], "certificate not issued by this cluster's CA, or expired"),
            (
                ["UNKNOWN_CA", "BAD_CERTIFICATE", "CERTIFICATE_UNKNOWN"],
                "rejected this node's certificate (the peer trusts another CA)"
            ),
            (
                ["UNSUPPORTED_PROTOCOL", "PROTOCOL_VERSION"],
                "offered a TLS version older than 1.3; only TLS 1.3 is accepted"
            ),
            (
                ["WRONG_VERSION_NUMBER", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG", "RECORD_TOO_LARGE"],
                "did not speak TLS"
            ),
            (["eofDuringHandshake", "EOF_DURING_HANDSHAKE"], "closed the connection during the TLS handshake"),
        ]
        let hint = hints.first { entry in entry.markers.contains { raw.contains($0) } }?.hint ?? "TLS handshake failed"
        let codes = boringSSLReasonCodes(in: raw)
        return "\(hint) (\(codes.isEmpty ? raw : "TLS: " + codes.joined(separator: ", ")))"
    }

    /// "…OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at /path/handshake.cc:320…" → ["CERTIFICATE_VERIFY_FAILED"]:
    /// the part that identifies the failure, without the library's source paths.
    static func boringSSLReasonCodes(in text: String) -> [String] {
        text.components(separatedBy: "OPENSSL_internal:").dropFirst().compactMap { part in
            let code = part.prefix { $0.isUppercase || $0.isNumber || $0 == "_" }
            return code.isEmpty ? nil : String(code)
        }
    }
}
