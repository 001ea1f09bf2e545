import UnderstudyState

extension FileIndexRecord {
    /// The record's content hash when it still describes the file as `status` shows it (same size, mtime, ctime and
    /// inode): the file is then provably unchanged since it was hashed. Otherwise nil.
    public func contentHash(ifItDescribes status: FileStatus) -> [UInt8]? {
        guard size == status.size, inode == status.inode,
            mtimeSeconds == status.attributes.mtimeSeconds,
            mtimeNanoseconds == Int32(status.attributes.mtimeNanoseconds),
            ctimeSeconds == status.ctimeSeconds, ctimeNanoseconds == status.ctimeNanoseconds
        else { return nil }
        return contentHash
    }
}
