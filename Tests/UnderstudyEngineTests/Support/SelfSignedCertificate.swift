import Foundation
import UnderstudyNode
import UnderstudySupport

/// A throwaway certificate for "localhost" and 127.0.0.1, made with the openssl command (scripts/setup
/// installs it), for a test server that speaks TLS: the HTTPS check server and the STARTTLS SMTP sink.
struct SelfSignedCertificate {
    let directory: String
    var certificatePath: String { directory + "/cert.pem" }
    var keyPath: String { directory + "/key.pem" }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func make() async throws -> SelfSignedCertificate {
        let directory = try temporaryDirectory()
        let certificate = SelfSignedCertificate(directory: directory)
        let outcome = await ProcessRunner.run(
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
                + "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
                + "-keyout '\(certificate.keyPath)' -out '\(certificate.certificatePath)'",
            timeout: 30)
        guard outcome.succeeded else {
            certificate.remove()
            throw Failure(description: "openssl could not make a test certificate: \(outcome)")
        }
        return certificate
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
