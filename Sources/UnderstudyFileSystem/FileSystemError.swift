#if canImport(Glibc)
import Glibc
#endif
import UnderstudyCore

/// A failed system call on a share, with the path (relative to the share root unless said otherwise) and errno.
public struct FileSystemError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case systemCall = "system-call"
        /// A path would leave the root: it traverses a symlink or is not a directory where one is needed.
        case pathRefused = "path-refused"
        case contentMismatch = "content-mismatch"
        case notUTF8 = "not-utf8"
    }

    public var code: Code
    public var operation: String
    public var path: String
    public var errnoValue: Int32

    public init(_ code: Code = .systemCall, operation: String, path: String, errno errnoValue: Int32 = 0) {
        self.code = code
        self.operation = operation
        self.path = path
        self.errnoValue = errnoValue
    }

    package static func errno(_ operation: String, _ path: String) -> FileSystemError {
        FileSystemError(.systemCall, operation: operation, path: path, errno: Glibc.errno)
    }

    public var description: String {
        switch code {
        case .systemCall:
            return
                "\(operation) \(RelativePath.shown(path)) failed: \(String(cString: strerror(errnoValue))) (errno \(errnoValue))"
        case .pathRefused, .contentMismatch, .notUTF8:
            return "\(RelativePath.shown(path)): \(operation)"
        }
    }
}

extension FileSystemError: CodedError {
    public var errorCode: String { code.rawValue }
    public var message: String { description }
}
