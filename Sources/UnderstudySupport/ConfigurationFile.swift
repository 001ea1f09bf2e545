#if canImport(Glibc)
import Glibc
#endif
import UnderstudyCore

/// Reads the cluster configuration file for the CLI and the daemon. It opens without blocking and looks before it
/// reads, so a FIFO, a device, a directory or a huge file is refused at once with what it is, and text that is not
/// UTF-8 is refused with the line it is on.
public enum ConfigurationFile {
    public static let maximumSize = 4 * 1024 * 1024

    public static func read(_ path: String) throws(ConfigurationFileError) -> String {
        func fail(_ code: ConfigurationFileError.Code, _ reason: String) -> ConfigurationFileError {
            ConfigurationFileError(code: code, path: path, message: "cannot read configuration \(path): \(reason)")
        }
        // O_NONBLOCK: opening a FIFO must not wait for a writer.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT: throw fail(.notFound, "no such file; pass --config PATH")
            case ENOTDIR: throw fail(.notFound, "a component of the path is not a directory; pass --config PATH")
            case EACCES:
                throw fail(
                    .unreadable, "permission denied for user id \(geteuid()); run as root or make the file readable")
            default: throw fail(.unreadable, errnoText(code))
            }
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw fail(.unreadable, errnoText(errno)) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR:
            throw fail(
                .notRegularFile,
                "it is a directory; pass the file itself, like \(path.hasSuffix("/") ? path : path + "/")understudy.toml, with --config"
            )
        case S_IFIFO:
            throw fail(.notRegularFile, "it is a FIFO, not a regular file; pass the configuration file with --config")
        case S_IFCHR:
            throw fail(
                .notRegularFile,
                "it is a character device, not a regular file; pass the configuration file with --config")
        case S_IFBLK:
            throw fail(
                .notRegularFile, "it is a block device, not a regular file; pass the configuration file with --config")
        case S_IFSOCK:
            throw fail(.notRegularFile, "it is a socket, not a regular file; pass the configuration file with --config")
        default: throw fail(.notRegularFile, "it is not a regular file; pass the configuration file with --config")
        }
        guard info.st_size <= maximumSize else {
            throw fail(.tooLarge, "it is \(info.st_size) bytes; a configuration file is at most \(maximumSize) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var total = 0
        while total < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + total, $0.count - total) }
            if count < 0 {
                if errno == EINTR { continue }
                throw fail(.unreadable, errnoText(errno))
            }
            if count == 0 { break }
            total += count
            // Grown while read: read no more than the limit allows.
            if total == bytes.count && total <= maximumSize { bytes += [UInt8](repeating: 0, count: 64 * 1024) }
        }
        guard total <= maximumSize else { throw fail(.tooLarge, "it grew past \(maximumSize) bytes while read") }
        do throws(ConfigurationProblem) {
            return try ConfigurationText.decode(Array(bytes[..<total]), path: path)
        } catch {
            throw ConfigurationFileError(code: .notText, path: path, message: error.description)
        }
    }
}

/// Why the configuration file could not be read; `description` is what the user sees.
public struct ConfigurationFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case notFound, unreadable, notRegularFile, tooLarge, notText
    }

    public var code: Code
    public var path: String
    public var message: String

    public init(code: Code, path: String, message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String { message }
}
