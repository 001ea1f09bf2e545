/// How many files a share's index lists and their bytes; or, returned by a write, how much that write changed them.
public struct FileIndexTotals: Sendable, Equatable {
    public var files: Int
    public var bytes: Int64

    public init(files: Int = 0, bytes: Int64 = 0) {
        self.files = files
        self.bytes = bytes
    }

    public static func + (left: Self, right: Self) -> Self {
        Self(files: left.files + right.files, bytes: left.bytes + right.bytes)
    }
}
