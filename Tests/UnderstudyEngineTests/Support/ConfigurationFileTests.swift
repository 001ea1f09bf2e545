#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import UnderstudyNode
@testable import UnderstudySupport

/// Reading the configuration file: what is not a regular UTF-8 file is refused at once with the precise reason.
@Suite struct ConfigurationFileTests {
    @Test func reads_aRegularFile() throws {
        let root = TestTree.makeTemporaryDirectory("config-file")
        defer { TestTree.remove(root) }
        try "cluster = \"c\"\n".write(toFile: root + "/u.toml", atomically: true, encoding: .utf8)
        #expect(try ConfigurationFile.read(root + "/u.toml") == "cluster = \"c\"\n")
    }

    @Test func refuses_aDirectory_sayingSo() throws {
        let root = TestTree.makeTemporaryDirectory("config-dir")
        defer { TestTree.remove(root) }
        #expect(
            throws: ConfigurationFileError(
                code: .notRegularFile, path: root,
                message:
                    "cannot read configuration \(root): it is a directory; pass the file itself, like \(root)/understudy.toml, with --config"
            )
        ) {
            try ConfigurationFile.read(root)
        }
    }

    @Test func refuses_aFIFO_atOnce_withoutWaitingForAWriter() throws {
        let root = TestTree.makeTemporaryDirectory("config-fifo")
        defer { TestTree.remove(root) }
        mkfifo(root + "/fifo", 0o600)
        let started = Date()
        #expect(
            throws: ConfigurationFileError(
                code: .notRegularFile, path: root + "/fifo",
                message:
                    "cannot read configuration \(root)/fifo: it is a FIFO, not a regular file; pass the configuration file with --config"
            )
        ) {
            try ConfigurationFile.read(root + "/fifo")
        }
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func refuses_devNull_asACharacterDevice() {
        #expect(
            throws: ConfigurationFileError(
                code: .notRegularFile, path: "/dev/null",
                message:
                    "cannot read configuration /dev/null: it is a character device, not a regular file; pass the configuration file with --config"
            )
        ) {
            try ConfigurationFile.read("/dev/null")
        }
    }

    @Test func refuses_aMissingFile_namingItAndTheOption() {
        #expect(
            throws: ConfigurationFileError(
                code: .notFound, path: "/nonexistent/u.toml",
                message: "cannot read configuration /nonexistent/u.toml: no such file; pass --config PATH")
        ) {
            try ConfigurationFile.read("/nonexistent/u.toml")
        }
    }

    @Test func refuses_aFileThatIsNotUTF8_withItsLine() throws {
        let root = TestTree.makeTemporaryDirectory("config-latin1")
        defer { TestTree.remove(root) }
        let bytes: [UInt8] = Array("cluster = \"c\"\n# caf".utf8) + [0xE9] + Array("\n".utf8)
        FileManager.default.createFile(atPath: root + "/u.toml", contents: Data(bytes))
        do {
            _ = try ConfigurationFile.read(root + "/u.toml")
            Issue.record("a Latin-1 file was read as UTF-8")
        } catch {
            #expect(error.code == .notText)
            #expect(
                error.description.hasPrefix("\(root)/u.toml:2: the file is not UTF-8 text: byte 0xE9 at column 6"),
                "\(error)")
        }
    }

    @Test func refuses_aHugeFile_withoutReadingIt() throws {
        let root = TestTree.makeTemporaryDirectory("config-huge")
        defer { TestTree.remove(root) }
        let fd = open(root + "/u.toml", O_CREAT | O_WRONLY, 0o600)
        ftruncate(fd, 64 * 1024 * 1024)
        close(fd)
        #expect(
            throws: ConfigurationFileError(
                code: .tooLarge, path: root + "/u.toml",
                message:
                    "cannot read configuration \(root)/u.toml: it is 67108864 bytes; a configuration file is at most 4194304 bytes"
            )
        ) {
            try ConfigurationFile.read(root + "/u.toml")
        }
    }
}
