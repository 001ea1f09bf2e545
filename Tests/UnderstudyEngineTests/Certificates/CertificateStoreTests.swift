import Foundation
import NIOSSL
import Testing
import UnderstudyCertificates
import UnderstudyCore
import UnderstudyNode
import UnderstudyTransport

@Suite struct CertificateStoreTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func createsCAAndNodeFiles_withPrivatePermissions() throws {
        let scratch = try PeerTLSTestDirectory()
        defer { scratch.remove() }
        let store = CertificateStore(directory: scratch.path + "/nested/certs")

        let report = try store.initialize(cluster: "prod", nodes: ["alpha", "beta"], now: Self.now)

        let files = [
            store.caCertificatePath, store.caKeyPath,
            store.certificatePath(node: "alpha"), store.keyPath(node: "alpha"),
            store.certificatePath(node: "beta"), store.keyPath(node: "beta"), store.clusterKeyPath,
        ]
        #expect(Set(report.created) == Set(files + [store.directory]))
        #expect(report.kept.isEmpty)
        #expect(try permissions(store.directory) == 0o700)
        for file in files {
            #expect(try permissions(file) == 0o600, "\(file)")
        }
        // Nothing else (no leftover temp files) in the directory.
        let names = try FileManager.default.contentsOfDirectory(atPath: store.directory).sorted()
        #expect(
            names == ["alpha-key.pem", "alpha.pem", "beta-key.pem", "beta.pem", "ca-key.pem", "ca.pem", "cluster.key"])
    }

    @Test func issuesCertificates_withNamesAndLifetimesAsDocumented() throws {
        let scratch = try PeerTLSTestDirectory()
        defer { scratch.remove() }
        let store = CertificateStore(directory: scratch.path)
        _ = try store.initialize(cluster: "prod", nodes: ["alpha"], now: Self.now)

        let ca = try #require(try NIOSSLCertificate.fromPEMFile(store.caCertificatePath).first)
        let node = try #require(try NIOSSLCertificate.fromPEMFile(store.certificatePath(node: "alpha")).first)
        #expect(ca.subjectName == [SSLCertificateName("understudy CA prod", .commonName)])
        #expect(ca.issuerName == ca.subjectName)
        #expect(node.subjectName == [SSLCertificateName("alpha", .commonName)])
        #expect(node.issuerName == ca.subjectName)
        let sans = node._subjectAlternativeNames().map { ($0.nameType, String(decoding: $0.contents, as: UTF8.self)) }
        #expect(sans.count == 1)
        #expect(sans.first?.0 == .dnsName)
        #expect(sans.first?.1 == "alpha")
        let year: Double = 365 * 86400
        let caLifetime = Double(ca.notValidAfter) - Self.now.timeIntervalSince1970
        let nodeLifetime = Double(node.notValidAfter) - Self.now.timeIntervalSince1970
        #expect(abs(caLifetime - 10 * year) < 4 * 86400)
        #expect(abs(nodeLifetime - 5 * year) < 3 * 86400)
        #expect(Double(node.notValidBefore) <= Self.now.timeIntervalSince1970)
    }

    @Test func createsNothing_onSecondRun_andKeepsCABytes() throws {
        let scratch = try PeerTLSTestDirectory()
        defer { scratch.remove() }
        let store = CertificateStore(directory: scratch.path + "/certs")
        _ = try store.initialize(cluster: "prod", nodes: ["alpha", "beta"], now: Self.now)
        let before = try snapshot(store.directory)

        let report = try store.initialize(cluster: "prod", nodes: ["alpha", "beta"], now: Self.now + 86400)

        #expect(report.created.isEmpty)
        #expect(report.kept.count == 7)
        #expect(try snapshot(store.directory) == before)
    }

    @Test func makesOneClusterKey_andAddsItToAnOlderDirectory() throws {
        let scratch = try PeerTLSTestDirectory()
        defer { scratch.remove() }
        let store = CertificateStore(directory: scratch.path)
        _ = try store.initialize(cluster: "prod", nodes: ["alpha"], now: Self.now)
        let key = try store.loadClusterKey()
        #expect(key.count == 32)
        #expect(Set(key).count > 8)
        // A directory made before keys existed gets one on the next init, and nothing else changes.
        try FileManager.default.removeItem(atPath: store.clusterKeyPath)
        let report = try store.initialize(cluster: "prod", nodes: ["alpha"], now: Self.now)
        #expect(report.created == [store.clusterKeyPath])
        #expect(try store.loadClusterKey() != key)
    }

    @Test func refusesAClusterKeyThatIsMissingOrMangled_sayingWhatToDo() throws {
        let scratch = try PeerTLSTestDirectory()
        defer { scratch.remove() }
        let store = CertificateStore(directory: scratch.path)
        #expect(throws: CertificateError.self) { try store.loadClusterKey() }
        do {
            _ = try store.loadClusterKey()
        } catch let error as CertificateError {
            #expect("\(error)".contains("understudy init"))
        }
        try "abc\n".write(toFile: store.clusterKeyPath, atomically: true, encoding: .utf8)
        do {
            _ = try store.loadClusterKey()
            Issue.record("a 3-digit key was accepted")
        } catch let error as CertificateError {
            #expect("\(error)".contains("64 hexadecimal digits"))
        }
    }

    @Test func signsNodeAddedLater_withTheSameCA() throws {
        let scratch = try PeerTLSTestDirectory()
        defer { scratch.remove() }
        let store = CertificateStore(directory: scratch.path)
        _ = try store.initialize(cluster: "prod", nodes: ["alpha"], now: Self.now)
        let caBefore = try Data(contentsOf: URL(fileURLWithPath: store.caCertificatePath))
        let alphaBefore = try Data(contentsOf: URL(fileURLWithPath: store.certificatePath(node: "alpha")))

        let report = try store.initialize(cluster: "prod", nodes: ["alpha", "gamma"], now: Self.now)

        #expect(Set(report.created) == [store.certificatePath(node: "gamma"), store.keyPath(node: "gamma")])
        #expect(try Data(contentsOf: URL(fileURLWithPath: store.caCertificatePath)) == caBefore)
        #expect(try Data(contentsOf: URL(fileURLWithPath: store.certificatePath(node: "alpha"))) == alphaBefore)
        // loadIdentity checks the CA's signature on the node certificate.
        let gamma = try store.loadIdentity(node: "gamma")
        #expect(gamma.caCertificate == (try store.loadIdentity(node: "alpha").caCertificate))
    }

    @Test func finishesInterruptedRun_byCertifyingTheExistingKey() throws {
        let scratch = try PeerTLSTestDirectory()
        defer { scratch.remove() }
        let store = CertificateStore(directory: scratch.path)
        _ = try store.initialize(cluster: "prod", nodes: ["alpha"], now: Self.now)
        let key = try Data(contentsOf: URL(fileURLWithPath: store.keyPath(node: "alpha")))
        try FileManager.default.removeItem(atPath: store.certificatePath(node: "alpha"))

        let report = try store.initialize(cluster: "prod", nodes: ["alpha"], now: Self.now)

        #expect(report.created == [store.certificatePath(node: "alpha")])
        #expect(try Data(contentsOf: URL(fileURLWithPath: store.keyPath(node: "alpha"))) == key)
        _ = try store.loadIdentity(node: "alpha")
    }

    @Test func refuses_certificateWithoutItsKey() throws {
        let scratch = try PeerTLSTestDirectory()
        defer { scratch.remove() }
        let store = CertificateStore(directory: scratch.path)
        _ = try store.initialize(cluster: "prod", nodes: ["alpha"], now: Self.now)
        try FileManager.default.removeItem(atPath: store.caKeyPath)

        let error = #expect(throws: CertificateError.self) {
            try store.initialize(cluster: "prod", nodes: ["alpha", "beta"], now: Self.now)
        }
        #expect(error?.code == .incompleteFiles)
        #expect(error?.path == store.caKeyPath)
        #expect(!FileManager.default.fileExists(atPath: store.certificatePath(node: "beta")))
    }

    @Test func refuses_existingCAOfAnotherCluster() throws {
        let scratch = try PeerTLSTestDirectory()
        defer { scratch.remove() }
        let store = CertificateStore(directory: scratch.path)
        _ = try store.initialize(cluster: "prod", nodes: ["alpha"], now: Self.now)

        let error = #expect(throws: CertificateError.self) {
            try store.initialize(cluster: "staging", nodes: ["alpha"], now: Self.now)
        }
        #expect(error?.code == .clusterMismatch)
        #expect(error?.message.contains("understudy CA prod") == true)
    }

    @Test func refuses_nodeCertificateSignedByAnotherCA() throws {
        let scratch = try PeerTLSTestDirectory()
        defer { scratch.remove() }
        let store = CertificateStore(directory: scratch.path + "/a")
        let other = CertificateStore(directory: scratch.path + "/b")
        _ = try store.initialize(cluster: "prod", nodes: ["alpha"], now: Self.now)
        _ = try other.initialize(cluster: "prod", nodes: ["beta"], now: Self.now)
        try FileManager.default.copyItem(
            atPath: other.certificatePath(node: "beta"), toPath: store.certificatePath(node: "beta"))
        try FileManager.default.copyItem(atPath: other.keyPath(node: "beta"), toPath: store.keyPath(node: "beta"))

        let initError = #expect(throws: CertificateError.self) {
            try store.initialize(cluster: "prod", nodes: ["alpha", "beta"], now: Self.now)
        }
        #expect(initError?.code == .certificateMismatch)
        #expect(initError?.path == store.certificatePath(node: "beta"))
        let loadError = #expect(throws: CertificateError.self) { try store.loadIdentity(node: "beta") }
        #expect(loadError?.code == .certificateMismatch)
        #expect(loadError?.message.contains("not signed by the cluster CA") == true)
    }

    @Test(arguments: ["", "ca", "ca-key", "alpha-key", "../etc", "a/b", ".hidden", "-x", "has space"])
    func refuses_unusableNodeName(_ name: String) throws {
        let scratch = try PeerTLSTestDirectory()
        defer { scratch.remove() }
        let store = CertificateStore(directory: scratch.path + "/certs")

        let error = #expect(throws: CertificateError.self) {
            try store.initialize(cluster: "prod", nodes: ["alpha", name], now: Self.now)
        }
        #expect(error?.code == .invalidName)
        #expect(!FileManager.default.fileExists(atPath: store.directory))
    }

    // MARK: - loadIdentity

    @Test func loadsIdentity_forEachNode() throws {
        let scratch = try PeerTLSTestDirectory()
        defer { scratch.remove() }
        let store = CertificateStore(directory: scratch.path)
        _ = try store.initialize(cluster: "prod", nodes: ["alpha", "beta"], now: Self.now)

        let identity = try store.loadIdentity(node: "beta")

        #expect(identity.nodeName == "beta")
        #expect(identity.certificateChain.count == 1)
        #expect(
            identity.certificateChain.first
                == (try NIOSSLCertificate.fromPEMFile(store.certificatePath(node: "beta")).first))
        #expect(identity.caCertificate == (try NIOSSLCertificate.fromPEMFile(store.caCertificatePath).first))
        _ = try PeerTLS.serverContext(identity)
        _ = try PeerTLS.clientContext(identity)
    }

    @Test func namesMissingKeyFile_andSaysToRunInit() throws {
        let scratch = try PeerTLSTestDirectory()
        defer { scratch.remove() }
        let store = CertificateStore(directory: scratch.path)
        _ = try store.initialize(cluster: "prod", nodes: ["alpha"], now: Self.now)
        try FileManager.default.removeItem(atPath: store.keyPath(node: "alpha"))

        let error = #expect(throws: CertificateError.self) { try store.loadIdentity(node: "alpha") }

        #expect(error?.code == .missingFile)
        #expect(error?.path == store.keyPath(node: "alpha"))
        #expect(error?.message.contains(store.keyPath(node: "alpha")) == true)
        #expect(error?.message.contains("understudy init") == true)
    }

    @Test func aMissingFile_isACodedError_withAStableCode_thatItsTextShows() throws {
        let scratch = try PeerTLSTestDirectory()
        defer { scratch.remove() }
        let store = CertificateStore(directory: scratch.path)
        let error = #expect(throws: CertificateError.self) { try store.loadIdentity(node: "alpha") }
        let coded = try #require(error as (any CodedError)?)
        #expect(coded.errorCode == "certificate-missing-file")
        #expect(coded.description.contains("[certificate-missing-file]"))
    }

    @Test func namesCorruptKeyFile() throws {
        let scratch = try PeerTLSTestDirectory()
        defer { scratch.remove() }
        let store = CertificateStore(directory: scratch.path)
        _ = try store.initialize(cluster: "prod", nodes: ["alpha"], now: Self.now)
        try "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"
            .write(toFile: store.keyPath(node: "alpha"), atomically: false, encoding: .utf8)

        let error = #expect(throws: CertificateError.self) { try store.loadIdentity(node: "alpha") }

        #expect(error?.code == .invalidFile)
        #expect(error?.path == store.keyPath(node: "alpha"))
        #expect(error?.description.contains(store.keyPath(node: "alpha")) == true)
    }

    @Test func namesCorruptCertificate_andMissingCA() throws {
        let scratch = try PeerTLSTestDirectory()
        defer { scratch.remove() }
        let store = CertificateStore(directory: scratch.path)
        _ = try store.initialize(cluster: "prod", nodes: ["alpha"], now: Self.now)
        try Data([0xFF, 0x00, 0x13]).write(to: URL(fileURLWithPath: store.certificatePath(node: "alpha")))

        let corrupt = #expect(throws: CertificateError.self) { try store.loadIdentity(node: "alpha") }
        #expect(corrupt?.code == .invalidFile)
        #expect(corrupt?.path == store.certificatePath(node: "alpha"))

        try FileManager.default.removeItem(atPath: store.caCertificatePath)
        let missing = #expect(throws: CertificateError.self) { try store.loadIdentity(node: "alpha") }
        #expect(missing?.code == .missingFile)
        #expect(missing?.path == store.caCertificatePath)
    }

    @Test func refuses_keyThatIsNotTheCertificatesKey() throws {
        let scratch = try PeerTLSTestDirectory()
        defer { scratch.remove() }
        let store = CertificateStore(directory: scratch.path)
        _ = try store.initialize(cluster: "prod", nodes: ["alpha", "beta"], now: Self.now)
        try FileManager.default.removeItem(atPath: store.keyPath(node: "alpha"))
        try FileManager.default.copyItem(atPath: store.keyPath(node: "beta"), toPath: store.keyPath(node: "alpha"))

        let error = #expect(throws: CertificateError.self) { try store.loadIdentity(node: "alpha") }
        #expect(error?.code == .certificateMismatch)
        #expect(error?.path == store.keyPath(node: "alpha"))
    }

    // MARK: - Helpers

    private func permissions(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    private func snapshot(_ directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
        }
        return files
    }
}
