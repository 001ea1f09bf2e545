import Crypto
import Foundation

/// The cluster key: 32 random bytes that authenticate heartbeats (HMAC-SHA256). Heartbeats are UDP datagrams,
/// not TLS, so they carry their own proof of membership (design rule 3). Made by `understudy init` beside the CA,
/// written once (0600) and never replaced; every node needs the same file.
extension CertificateStore {
    public var clusterKeyPath: String { "\(directory)/cluster.key" }

    /// Creates `cluster.key` when absent; part of `initialize`.
    func prepareClusterKey(report: inout CertificateInitReport) throws {
        if CertificateFile.exists(clusterKeyPath) {
            _ = try loadClusterKey()
            report.kept.append(clusterKeyPath)
            return
        }
        let key = SymmetricKey(size: .bits256)
        let hex = key.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
        try CertificateFile.writeNew(hex + "\n", to: clusterKeyPath)
        report.created.append(clusterKeyPath)
    }

    /// The key's bytes, or an error that says how to get the file.
    public func loadClusterKey() throws -> [UInt8] {
        let text: String
        do throws(CertificateFile.ReadFailure) {
            text = try CertificateFile.readText(clusterKeyPath)
        } catch .missing {
            throw CertificateError(
                code: .missingFile,
                message:
                    "no cluster key at \(clusterKeyPath); heartbeats need it. Run `understudy init` (it adds the key and keeps everything else), then copy cluster.key to every node",
                path: clusterKeyPath)
        } catch {
            throw CertificateError(
                code: .unreadableFile, message: "cannot read the cluster key \(clusterKeyPath): \(error)",
                path: clusterKeyPath)
        }
        let hex = text.trimmingCharacters(in: .whitespacesAndNewlines)
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex),
            let byte = UInt8(hex[index..<next], radix: 16)
        {
            bytes.append(byte)
            index = next
        }
        guard bytes.count == 32, index == hex.endIndex else {
            throw CertificateError(
                code: .invalidFile,
                message:
                    "\(clusterKeyPath) is not a cluster key (64 hexadecimal digits); copy it again from the node where `understudy init` made it",
                path: clusterKeyPath)
        }
        return bytes
    }
}
