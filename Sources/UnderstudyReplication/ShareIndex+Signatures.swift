import UnderstudyDelta
import UnderstudyState

/// A standby's block signatures of its large replica files, made as each file was written and kept in the state
/// database beside the index: a delta of such a file then needs no read of it when the primary asks. A signature
/// serves only the version it was made of (size, times and inode as `stat` gives them now); its row goes when the
/// file's index row goes.
extension ShareIndex {
    /// Files smaller than this are signed when asked: reading a MiB costs less than keeping its signature.
    public static let signatureMinimum: Int64 = 1 << 20

    /// Stores signatures behind, in order with the index's own writes (a lost one is made again when needed).
    public func storeSignatures(_ signatures: [FileSignatureRecord]) {
        guard !signatures.isEmpty else { return }
        let (database, key) = (database, key)
        persist { try database.storeFileSignatures(share: key, signatures) }
    }

    /// The kept signature of `file` (a fresh stat of it), or nil when none describes that version.
    public func keptSignature(of file: FileIndexRecord) -> [UInt8]? {
        guard file.size >= Self.signatureMinimum else { return nil }
        let stored = try? database.fileSignature(share: key, path: file.path)
        guard let stored, stored.describes(file),
            stored.signature.starts(with: SignatureGenerator.header(basisSize: file.size))
        else {
            signatureUse.withLockedValue { $0.made += 1 }
            return nil
        }
        signatureUse.withLockedValue { $0.kept += 1 }
        return stored.signature
    }

    /// How many signatures of large files came from the kept ones, and how many had to be made by reading the file.
    public var signaturesServed: (kept: Int, made: Int) { signatureUse.withLockedValue { ($0.kept, $0.made) } }
}
