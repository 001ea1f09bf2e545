#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import NIOSSL

/// What went wrong on an outgoing connection, in the few words an administrator needs: NIO's and BoringSSL's
/// errors name internals ("NIOConnectionError(host:...)", "CERTIFICATE_VERIFY_FAILED") that say little to
/// someone whose webhook or mail relay is down. Shared by the HTTP client and the SMTP mailer.
package struct NetworkFailure: Error, Sendable {
    package enum Kind: Sendable {
        case timedOut, refused, unreachable, hostNotFound, tls, closed, other
    }

    package var kind: Kind
    package var text: String

    package init(kind: Kind, text: String) {
        self.kind = kind
        self.text = text
    }

    package init(_ error: any Error) {
        switch error {
        case let failure as NetworkFailure:
            self = failure
        case ChannelError.connectTimeout:
            self.init(kind: .timedOut, text: "connect timed out")
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first {
                self.init(first.error)
            } else {
                self.init(kind: .hostNotFound, text: "could not resolve host name '\(error.host)'")
            }
        case let error as IOError:
            switch error.errnoCode {
            case ECONNREFUSED: self.init(kind: .refused, text: "connection refused")
            case ENETUNREACH: self.init(kind: .unreachable, text: "network unreachable")
            case EHOSTUNREACH: self.init(kind: .unreachable, text: "no route to host")
            case ETIMEDOUT: self.init(kind: .timedOut, text: "connection timed out")
            case ECONNRESET: self.init(kind: .closed, text: "connection reset by the server")
            case EPIPE: self.init(kind: .closed, text: "connection closed by the server")
            default: self.init(kind: .other, text: "\(error)")
            }
        case let error as NIOSSLError:
            switch error {
            case .handshakeFailed(let reason):
                if "\(reason)".contains("CERTIFICATE_VERIFY_FAILED") {
                    self.init(
                        kind: .tls,
                        text: "TLS: certificate not trusted (self-signed, signed by an unknown CA, "
                            + "expired, or not issued for this host)")
                } else {
                    self.init(kind: .tls, text: "TLS handshake failed: \(reason)")
                }
            case .uncleanShutdown:
                self.init(kind: .closed, text: "connection closed without a TLS close")
            default:
                self.init(kind: .tls, text: "TLS: \(error)")
            }
        case let error as NIOSSLExtraError where error == .failedToValidateHostname:
            self.init(kind: .tls, text: "TLS: certificate not issued for this host")
        case let error as NIOSSLExtraError:
            self.init(kind: .tls, text: "TLS: \(error)")
        case ChannelError.ioOnClosedChannel, ChannelError.eof, ChannelError.alreadyClosed:
            self.init(kind: .closed, text: "connection closed")
        default:
            self.init(kind: .other, text: "\(error)")
        }
    }
}
