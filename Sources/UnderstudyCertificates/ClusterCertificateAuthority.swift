import Crypto
import Foundation
import SwiftASN1
import X509

/// The cluster CA in memory: makes itself and signs node certificates. Pure apart from key generation;
/// the time is always passed in.
struct ClusterCertificateAuthority {
    static let validityYears = 10
    static let nodeValidityYears = 5
    /// Certificates start an hour before they are made, so a node whose clock is a little behind
    /// the machine that ran `understudy init` still accepts them.
    static let clockSkewAllowance: TimeInterval = 3600

    let certificate: Certificate
    let privateKey: Certificate.PrivateKey

    static func commonName(cluster: String) -> String {
        "understudy CA \(cluster)"
    }

    /// A new self-signed P-256 CA for `cluster`.
    static func create(cluster: String, now: Date) throws -> (authority: ClusterCertificateAuthority, keyPEM: String) {
        let key = P256.Signing.PrivateKey()
        let authority = try create(cluster: cluster, privateKey: Certificate.PrivateKey(key), now: now)
        return (authority, key.pemRepresentation)
    }

    /// A self-signed CA certificate for an existing key (used to finish an interrupted init).
    static func create(
        cluster: String, privateKey: Certificate.PrivateKey, now: Date
    ) throws -> ClusterCertificateAuthority {
        let name = try DistinguishedName {
            CommonName(commonName(cluster: cluster))
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: privateKey.publicKey,
            notValidBefore: now - clockSkewAllowance,
            notValidAfter: adding(years: validityYears, to: now),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: privateKey.publicKey)
            },
            issuerPrivateKey: privateKey
        )
        return ClusterCertificateAuthority(certificate: certificate, privateKey: privateKey)
    }

    /// A certificate for `node` (CN and DNS SAN = node name) valid for TLS server and client use.
    func issue(node: String, publicKey: Certificate.PublicKey, now: Date) throws -> Certificate {
        let subject = try DistinguishedName {
            CommonName(node)
        }
        let authorityKeyID = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
        return try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: now - Self.clockSkewAllowance,
            notValidAfter: Self.adding(years: Self.nodeValidityYears, to: now),
            issuer: certificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames([.dnsName(node)])
                SubjectKeyIdentifier(hash: publicKey)
                if let authorityKeyID {
                    AuthorityKeyIdentifier(keyIdentifier: authorityKeyID)
                }
            },
            issuerPrivateKey: privateKey
        )
    }

    /// Whether `candidate` was signed by the key of `caCertificate`.
    static func isSigned(_ candidate: Certificate, by caCertificate: Certificate) -> Bool {
        candidate.issuer == caCertificate.subject
            && caCertificate.publicKey.isValidSignature(candidate.signature, for: candidate)
    }

    static func adding(years: Int, to date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(byAdding: .year, value: years, to: date)
            ?? date + TimeInterval(years) * 365.25 * 86400
    }
}

extension Certificate {
    /// The first common name in the subject, if any.
    package var subjectCommonName: String? {
        for rdn in subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(attribute.value)
            }
        }
        return nil
    }
}
