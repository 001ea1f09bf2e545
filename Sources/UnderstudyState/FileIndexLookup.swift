/// Where a scan finds what it last knew of files: a directory's records as it enters the directory, or one path's.
/// The daemon's is `ShareIndex` (on disk); `FileIndexSnapshot` holds records in memory.
public protocol FileIndexLookup: Sendable {
    /// The record of `path`, or nil.
    func record(at path: String) -> FileIndexRecord?
    /// The records of the files directly inside `directory` ("" for the root), keyed by path.
    func records(inDirectory directory: String) -> [String: FileIndexRecord]
}

/// Records held in memory, grouped by directory: for tests, and where no index is kept.
public struct FileIndexSnapshot: FileIndexLookup {
    private var byDirectory: [String: [String: FileIndexRecord]] = [:]

    public init(_ records: some Sequence<FileIndexRecord> = []) {
        for record in records { byDirectory[record.directory, default: [:]][record.path] = record }
    }

    public func record(at path: String) -> FileIndexRecord? {
        byDirectory[FileIndexRecord.directory(of: path)]?[path]
    }

    public func records(inDirectory directory: String) -> [String: FileIndexRecord] {
        byDirectory[directory] ?? [:]
    }
}
