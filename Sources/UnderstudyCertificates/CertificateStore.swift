// Certificates: the cluster's own CA and one certificate per node, made by `understudy init`.
//
// Only members of the cluster may talk to each other (design rule 3), so trust is rooted in a CA that
// belongs to this cluster alone, never in the system's trust store. The CA is a P-256 key and a
// self-signed certificate; each node gets a P-256 key and a certificate whose common name (and DNS
// SAN) is its node name, which is how a peer's identity is read after the TLS handshake
// (see Transport/PeerIdentityHandler.swift). Files are written once, 0600, atomically, and never
// replaced, so running init again — to add a node or by accident — cannot break a running cluster.
// The X.509 work is in ClusterCertificateAuthority; raw file I/O is in CertificateFile.

import Crypto
import Foundation
import X509

/// Where the cluster's certificates live: `<dir>/ca.pem`, `<dir>/ca-key.pem`, `<dir>/<node>.pem`, `<dir>/<node>-key.pem`.
public struct CertificateStore: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public var caCertificatePath: String { "\(directory)/ca.pem" }
    public var caKeyPath: String { "\(directory)/ca-key.pem" }

    public func certificatePath(node: String) -> String { "\(directory)/\(node).pem" }
    public func keyPath(node: String) -> String { "\(directory)/\(node)-key.pem" }

    /// `understudy init`: creates the directory (0700) and the cluster CA if absent — never replacing an
    /// existing CA — then a key and certificate for each node that lacks them. Idempotent: a second run
    /// with the same arguments creates nothing. An interrupted run is finished by running it again.
    public func initialize(cluster: String, nodes: [String], now: Date) throws -> CertificateInitReport {
        try Self.validate(cluster: cluster)
        var seen = Set<String>()
        let uniqueNodes = nodes.filter { seen.insert($0).inserted }
        for node in uniqueNodes {
            try Self.validate(node: node)
        }

        var report = CertificateInitReport()
        if try CertificateFile.makeDirectory(directory) {
            report.created.append(directory)
        }
        let authority = try prepareAuthority(cluster: cluster, now: now, report: &report)
        for node in uniqueNodes {
            try prepareNode(node, authority: authority, now: now, report: &report)
        }
        try prepareClusterKey(report: &report)
        return report
    }

    // MARK: - CA

    private func prepareAuthority(
        cluster: String,
        now: Date,
        report: inout CertificateInitReport
    ) throws -> ClusterCertificateAuthority {
        let hasCertificate = CertificateFile.exists(caCertificatePath)
        let hasKey = CertificateFile.exists(caKeyPath)
        switch (hasCertificate, hasKey) {
        case (false, false):
            let (authority, keyPEM) = try wrapping(path: caCertificatePath) {
                try ClusterCertificateAuthority.create(cluster: cluster, now: now)
            }
            // Key first: a crash in between leaves a key without a certificate, which the next run completes.
            try CertificateFile.writeNew(keyPEM, to: caKeyPath)
            try CertificateFile.writeNew(pem(authority.certificate, path: caCertificatePath), to: caCertificatePath)
            report.created += [caKeyPath, caCertificatePath]
            return authority
        case (false, true):
            let key = try readPrivateKey(at: caKeyPath, advice: Self.initAdvice)
            let authority = try wrapping(path: caCertificatePath) {
                try ClusterCertificateAuthority.create(cluster: cluster, privateKey: key, now: now)
            }
            try CertificateFile.writeNew(pem(authority.certificate, path: caCertificatePath), to: caCertificatePath)
            report.kept.append(caKeyPath)
            report.created.append(caCertificatePath)
            return authority
        case (true, false):
            throw CertificateError(
                code: .incompleteFiles,
                message:
                    "\(caCertificatePath) exists but its key \(caKeyPath) is missing, so no node certificate can be signed; "
                    + "restore \(caKeyPath) from the machine where `understudy init` was first run",
                path: caKeyPath
            )
        case (true, true):
            let authority = try loadAuthority(advice: Self.initAdvice)
            let expected = ClusterCertificateAuthority.commonName(cluster: cluster)
            let actual = authority.certificate.subjectCommonName ?? ""
            guard actual == expected else {
                throw CertificateError(
                    code: .clusterMismatch,
                    message: "\(caCertificatePath) is the CA '\(actual)', not '\(expected)'; "
                        + "use the cluster name it was made for, or another certificate directory",
                    path: caCertificatePath
                )
            }
            report.kept += [caKeyPath, caCertificatePath]
            return authority
        }
    }

    /// Reads the existing CA and checks that its key belongs to its certificate.
    func loadAuthority(advice: String) throws -> ClusterCertificateAuthority {
        let certificate = try readCertificate(at: caCertificatePath, advice: advice)
        let key = try readPrivateKey(at: caKeyPath, advice: advice)
        guard key.publicKey == certificate.publicKey else {
            throw CertificateError(
                code: .certificateMismatch,
                message: "\(caKeyPath) is not the key of \(caCertificatePath); restore the matching pair",
                path: caKeyPath
            )
        }
        return ClusterCertificateAuthority(certificate: certificate, privateKey: key)
    }

    // MARK: - Nodes

    private func prepareNode(
        _ node: String,
        authority: ClusterCertificateAuthority,
        now: Date,
        report: inout CertificateInitReport
    ) throws {
        let certificatePath = certificatePath(node: node)
        let keyPath = keyPath(node: node)
        switch (CertificateFile.exists(certificatePath), CertificateFile.exists(keyPath)) {
        case (false, false):
            let key = P256.Signing.PrivateKey()
            let certificate = try wrapping(path: certificatePath) {
                try authority.issue(node: node, publicKey: Certificate.PrivateKey(key).publicKey, now: now)
            }
            try CertificateFile.writeNew(key.pemRepresentation, to: keyPath)
            try CertificateFile.writeNew(pem(certificate, path: certificatePath), to: certificatePath)
            report.created += [keyPath, certificatePath]
        case (false, true):
            let key = try readPrivateKey(at: keyPath, advice: Self.initAdvice)
            let certificate = try wrapping(path: certificatePath) {
                try authority.issue(node: node, publicKey: key.publicKey, now: now)
            }
            try CertificateFile.writeNew(pem(certificate, path: certificatePath), to: certificatePath)
            report.kept.append(keyPath)
            report.created.append(certificatePath)
        case (true, false):
            throw CertificateError(
                code: .incompleteFiles,
                message: "\(certificatePath) exists but its key \(keyPath) is missing; "
                    + "restore the key, or remove \(certificatePath) and run `understudy init` again to issue a new one",
                path: keyPath
            )
        case (true, true):
            let certificate = try readCertificate(at: certificatePath, advice: Self.initAdvice)
            let key = try readPrivateKey(at: keyPath, advice: Self.initAdvice)
            try checkNodeCertificate(
                certificate,
                key: key,
                node: node,
                caCertificate: authority.certificate,
                advice: Self.reissueAdvice(certificatePath, keyPath)
            )
            report.kept += [keyPath, certificatePath]
        }
    }

    /// A node certificate is usable only if the cluster CA signed it, it names the node, and the key is its own.
    func checkNodeCertificate(
        _ certificate: Certificate,
        key: Certificate.PrivateKey,
        node: String,
        caCertificate: Certificate,
        advice: String
    ) throws {
        let path = certificatePath(node: node)
        guard ClusterCertificateAuthority.isSigned(certificate, by: caCertificate) else {
            throw CertificateError(
                code: .certificateMismatch,
                message: "\(path) was not signed by the cluster CA in \(caCertificatePath); \(advice)",
                path: path
            )
        }
        guard certificate.subjectCommonName == node else {
            throw CertificateError(
                code: .certificateMismatch,
                message: "\(path) is for '\(certificate.subjectCommonName ?? "")', not node '\(node)'; \(advice)",
                path: path
            )
        }
        guard key.publicKey == certificate.publicKey else {
            throw CertificateError(
                code: .certificateMismatch,
                message: "\(keyPath(node: node)) is not the key of \(path); \(advice)",
                path: keyPath(node: node)
            )
        }
    }

    // MARK: - Names

    static func validate(cluster: String) throws {
        guard !cluster.isEmpty, cluster.count <= 64, cluster.unicodeScalars.allSatisfy(Self.isNameCharacter) else {
            throw CertificateError(
                code: .invalidName,
                message: "cluster name '\(cluster)' is not usable: use 1 to 64 letters, digits, '.', '-' or '_'"
            )
        }
    }

    /// Node names become file names and DNS names, and must not collide with the CA's files or with
    /// another node's key file (a node "a-key" would own a-key.pem, the key of node "a").
    static func validate(node: String) throws {
        let scalars = node.unicodeScalars
        guard !node.isEmpty, node.count <= 63, scalars.allSatisfy(Self.isNameCharacter),
            let first = scalars.first, first != ".", first != "-"
        else {
            throw CertificateError(
                code: .invalidName,
                message:
                    "node name '\(node)' is not usable: use 1 to 63 letters, digits, '.', '-' or '_', not starting with '.' or '-'"
            )
        }
        guard node != "ca", node != "ca-key", !node.hasSuffix("-key") else {
            throw CertificateError(
                code: .invalidName,
                message:
                    "node name '\(node)' would clash with the certificate files' names (ca, ca-key, *-key); choose another name"
            )
        }
    }

    private static func isNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "-", "_": true
        default: false
        }
    }

    static let initAdvice = "fix or remove the file and run `understudy init` again"

    static func reissueAdvice(_ certificatePath: String, _ keyPath: String) -> String {
        "remove \(certificatePath) and \(keyPath) and run `understudy init` again to issue new ones"
    }

    // MARK: - Helpers

    private func pem(_ certificate: Certificate, path: String) throws -> String {
        try wrapping(path: path) { try certificate.serializeAsPEM().pemString }
    }

    private func wrapping<T>(path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as CertificateError {
            throw error
        } catch {
            throw CertificateError(
                code: .writeFailed,
                message: "could not create the certificate for \(path): \(error)",
                path: path,
                cause: error
            )
        }
    }
}
