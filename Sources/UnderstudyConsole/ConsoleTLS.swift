import NIOSSL

/// The certificate the console shows to browsers and scripts: by default the node's own, issued by the cluster's
/// authority (a client trusts `ca.pem` of the certificates directory), or the PEM files `[console]` names.
public struct ConsoleTLS: Sendable {
    public let configuration: TLSConfiguration

    /// - Parameters:
    ///   - chain: the certificate first, then its intermediates.
    public init(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) throws(ConsoleError) {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        // Browsers and curl, not cluster members: TLS 1.2 and later, no client certificate.
        configuration.minimumTLSVersion = .tlsv12
        do {
            // Made once here so that a key that does not match its certificate stops the node at start.
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw ConsoleError(
                .certificateMismatch,
                "the console's certificate and key do not belong together (\(error)); give the key of that certificate",
                cause: error)
        }
        self.configuration = configuration
    }

    /// The PEM files `[console] certificate` and `key` name.
    public static func load(certificate: String, key: String) throws(ConsoleError) -> ConsoleTLS {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw ConsoleError(
                .certificateUnreadable,
                "cannot read the console certificate '\(certificate)' (\(error)); [console] certificate must name a readable PEM file",
                cause: error)
        }
        if chain.isEmpty {
            throw ConsoleError(
                .certificateUnreadable,
                "the console certificate '\(certificate)' holds no PEM certificate; [console] certificate must name one"
            )
        }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw ConsoleError(
                .certificateUnreadable,
                "cannot read the console key '\(key)' (\(error)); [console] key must name a readable, unencrypted PEM key",
                cause: error)
        }
        return try ConsoleTLS(chain: chain, key: privateKey)
    }
}
