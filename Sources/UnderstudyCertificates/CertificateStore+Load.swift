import NIOSSL
import X509

extension CertificateStore {
    static let loadAdvice =
        "run `understudy init` to create the cluster's certificates, or copy them from the node where it was run"

    /// Loads what `node` needs for TLS, checking that the files fit together (key matches certificate,
    /// certificate signed by the CA and naming the node). Errors name the file and say what to do.
    /// The CA's private key is not needed and not read.
    public func loadIdentity(node: String) throws -> NodeIdentity {
        try Self.validate(node: node)
        let certificatePath = certificatePath(node: node)
        let keyPath = keyPath(node: node)

        let caPEM = try readText(at: caCertificatePath, advice: Self.loadAdvice)
        let certificatePEM = try readText(at: certificatePath, advice: Self.loadAdvice)
        let keyPEM = try readText(at: keyPath, advice: Self.loadAdvice)

        let caCertificate = try parseCertificate(caPEM, path: caCertificatePath)
        let certificate = try parseCertificate(certificatePEM, path: certificatePath)
        let key = try parsePrivateKey(keyPEM, path: keyPath)
        try checkNodeCertificate(
            certificate,
            key: key,
            node: node,
            caCertificate: caCertificate,
            advice: Self.reissueAdvice(certificatePath, keyPath)
        )

        return NodeIdentity(
            nodeName: node,
            caCertificate: try nioCertificate(caPEM, path: caCertificatePath),
            certificateChain: [try nioCertificate(certificatePEM, path: certificatePath)],
            privateKey: try nioPrivateKey(keyPEM, path: keyPath)
        )
    }

    // MARK: - Reading and parsing

    func readCertificate(at path: String, advice: String) throws -> Certificate {
        try parseCertificate(readText(at: path, advice: advice), path: path)
    }

    func readPrivateKey(at path: String, advice: String) throws -> Certificate.PrivateKey {
        try parsePrivateKey(readText(at: path, advice: advice), path: path)
    }

    func readText(at path: String, advice: String) throws -> String {
        do {
            return try CertificateFile.readText(path)
        } catch .missing {
            throw CertificateError(code: .missingFile, message: "\(path) does not exist; \(advice)", path: path)
        } catch .unreadable(let code) {
            let cause = CertificateFileErrno(errno: code)
            throw CertificateError(
                code: .unreadableFile,
                message: "\(path) cannot be read (\(cause)); check its owner and permissions",
                path: path,
                cause: cause
            )
        } catch .notText {
            throw CertificateError(
                code: .invalidFile,
                message: "\(path) is not a PEM file (not text); \(advice)",
                path: path
            )
        }
    }

    private func parseCertificate(_ pem: String, path: String) throws -> Certificate {
        do {
            return try Certificate(pemEncoded: pem)
        } catch {
            throw CertificateError(
                code: .invalidFile,
                message: "\(path) does not hold a valid PEM certificate; \(Self.initAdvice)",
                path: path,
                cause: error
            )
        }
    }

    private func parsePrivateKey(_ pem: String, path: String) throws -> Certificate.PrivateKey {
        do {
            return try Certificate.PrivateKey(pemEncoded: pem)
        } catch {
            throw CertificateError(
                code: .invalidFile,
                message: "\(path) does not hold a valid PEM private key; \(Self.initAdvice)",
                path: path,
                cause: error
            )
        }
    }

    private func nioCertificate(_ pem: String, path: String) throws -> NIOSSLCertificate {
        do {
            return try NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem)
        } catch {
            throw CertificateError(
                code: .invalidFile,
                message: "\(path) could not be loaded for TLS; \(Self.initAdvice)",
                path: path,
                cause: error
            )
        }
    }

    private func nioPrivateKey(_ pem: String, path: String) throws -> NIOSSLPrivateKey {
        do {
            return try NIOSSLPrivateKey(bytes: Array(pem.utf8), format: .pem)
        } catch {
            throw CertificateError(
                code: .invalidFile,
                message: "\(path) could not be loaded for TLS; \(Self.initAdvice)",
                path: path,
                cause: error
            )
        }
    }
}
