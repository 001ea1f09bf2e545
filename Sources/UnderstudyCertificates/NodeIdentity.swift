import NIOSSL

/// What a node needs for mutual TLS: the cluster CA (the only trust root), its certificate chain and its key.
public struct NodeIdentity: Sendable {
    public let nodeName: String
    public let caCertificate: NIOSSLCertificate
    public let certificateChain: [NIOSSLCertificate]
    public let privateKey: NIOSSLPrivateKey

    public init(
        nodeName: String,
        caCertificate: NIOSSLCertificate,
        certificateChain: [NIOSSLCertificate],
        privateKey: NIOSSLPrivateKey
    ) {
        self.nodeName = nodeName
        self.caCertificate = caCertificate
        self.certificateChain = certificateChain
        self.privateKey = privateKey
    }
}
