// Peer TLS: how nodes authenticate each other on every port (design rule 3).
//
// Both ends use TLS 1.3 only and demand a certificate from the other, verified against the
// cluster CA alone — the system trust store is never consulted, so a certificate from any other CA,
// however reputable, is refused. Peers are reached by IP address, so hostname verification is off;
// instead PeerIdentityHandler, placed right after the NIOSSL handler, reads the verified certificate's
// common name and accepts only the cluster's node names.

import NIOSSL
import UnderstudyCertificates

/// TLS settings for connections between the nodes of one cluster.
public enum PeerTLS {
    /// The server side: TLS 1.3, a client certificate signed by the cluster CA is required.
    public static func serverConfiguration(_ identity: NodeIdentity) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: identity.certificateChain.map { .certificate($0) },
            privateKey: .privateKey(identity.privateKey)
        )
        restrict(&configuration, to: identity)
        return configuration
    }

    /// The client side: TLS 1.3, the server's certificate must be signed by the cluster CA, and ours is presented.
    public static func clientConfiguration(_ identity: NodeIdentity) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        // Closing a connection to a primary that vanished (power, cable) must not wait NIOSSL's default 5 s for a
        // close_notify that never comes: a takeover stops the replica's connection before it serves.
        configuration.shutdownTimeout = .milliseconds(300)
        configuration.certificateChain = identity.certificateChain.map { .certificate($0) }
        configuration.privateKey = .privateKey(identity.privateKey)
        restrict(&configuration, to: identity)
        return configuration
    }

    public static func serverContext(_ identity: NodeIdentity) throws -> NIOSSLContext {
        try NIOSSLContext(configuration: serverConfiguration(identity))
    }

    public static func clientContext(_ identity: NodeIdentity) throws -> NIOSSLContext {
        try NIOSSLContext(configuration: clientConfiguration(identity))
    }

    private static func restrict(_ configuration: inout TLSConfiguration, to identity: NodeIdentity) {
        configuration.minimumTLSVersion = .tlsv13
        configuration.maximumTLSVersion = .tlsv13
        configuration.trustRoots = .certificates([identity.caCertificate])
        configuration.additionalTrustRoots = []
        // Certificate chain verification stays on (and, on a server, makes a client certificate
        // mandatory); only the hostname check is skipped, as peers connect by IP.
        configuration.certificateVerification = .noHostnameVerification
    }
}
