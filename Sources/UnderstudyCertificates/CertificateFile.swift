#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file operations the certificate store needs, done with system calls so that
/// permissions are exact (not subject to umask) and errno tells "missing" from "unreadable".
enum CertificateFile {
    /// Why a read failed; callers turn this into a `CertificateError` with their own advice.
    enum ReadFailure: Error {
        case missing
        case unreadable(errno: Int32)
        case notText
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    static func readText(_ path: String) throws(ReadFailure) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw code == ENOENT ? .missing : .unreadable(errno: code)
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(errno: errno)
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .notText }
        return text
    }

    /// Creates `path` (and missing parents) with mode 0700. Returns whether the final directory was created.
    static func makeDirectory(_ path: String) throws(CertificateError) -> Bool {
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw CertificateError(
                    code: .writeFailed,
                    message: "\(path) exists but is not a directory; choose another certificate directory",
                    path: path
                )
            }
            return false
        }
        let parent = parentDirectory(of: path)
        if parent != path, !parent.isEmpty, !exists(parent) {
            _ = try makeDirectory(parent)
        }
        if mkdir(path, 0o700) != 0, errno != EEXIST {
            throw writeError("could not create directory \(path)", path: path)
        }
        // mkdir's mode is filtered by the umask; the directory holds private keys, so set it exactly.
        if chmod(path, 0o700) != 0 {
            throw writeError("could not set permissions 0700 on \(path)", path: path)
        }
        return true
    }

    /// Writes a new file with mode 0600 so that it appears complete or not at all, and never replaces
    /// an existing file: temp sibling, fsync, link into place (fails if the name exists), fsync the directory.
    static func writeNew(_ contents: String, to path: String) throws(CertificateError) {
        let directory = parentDirectory(of: path)
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let temp = "\(directory)/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw writeError("could not create \(temp)", path: path) }
        var closed = false
        defer {
            if !closed { close(fd) }
            unlink(temp)
        }
        guard fchmod(fd, 0o600) == 0 else { throw writeError("could not set permissions 0600 on \(temp)", path: path) }
        let bytes = Array(contents.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                write(fd, buffer.baseAddress! + written, buffer.count - written)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw writeError("could not write \(temp)", path: path)
            }
            written += count
        }
        guard fsync(fd) == 0 else { throw writeError("could not flush \(temp) to disk", path: path) }
        closed = true
        guard close(fd) == 0 else { throw writeError("could not close \(temp)", path: path) }
        // link, unlike rename, refuses to replace: a file that appeared meanwhile is never overwritten.
        guard link(temp, path) == 0 else {
            if errno == EEXIST {
                throw CertificateError(
                    code: .writeFailed,
                    message:
                        "\(path) appeared while certificates were being created (is another `understudy init` running?); nothing was overwritten",
                    path: path
                )
            }
            throw writeError("could not move \(temp) into place as \(path)", path: path)
        }
        try syncDirectory(directory, for: path)
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    private static func syncDirectory(_ directory: String, for path: String) throws(CertificateError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw writeError("could not open \(directory) to flush it", path: path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw writeError("could not flush directory \(directory) to disk", path: path) }
    }

    private static func writeError(_ message: String, path: String) -> CertificateError {
        let code = errno
        return CertificateError(
            code: .writeFailed,
            message: "\(message): \(String(cString: strerror(code)))",
            path: path,
            cause: CertificateFileErrno(errno: code)
        )
    }
}

/// An errno value, kept as the cause of a `CertificateError`.
struct CertificateFileErrno: Error, CustomStringConvertible {
    let errno: Int32
    var description: String { "errno \(errno): \(String(cString: strerror(errno)))" }
}
