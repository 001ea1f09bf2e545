#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import UnderstudySupport

/// A service's configuration file written in place as a careful editor does, and read without blocking on what is
/// not a regular file.
@Suite struct SystemFileWriterTests {
    @Test func aRewrite_keepsTheFilesOwnerAndMode_andLeavesNoTemporary() throws {
        let directory = TestTree.makeTemporaryDirectory("system-file")
        defer { TestTree.remove(directory) }
        let path = directory + "/app.conf"
        try "old\n".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o640)
        chown(path, 65534, 65534)
        try SystemFileWriter.write(Array("new\n".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new\n")
        var info = stat()
        stat(path, &info)
        #expect(info.st_mode & 0o7777 == 0o640 && info.st_uid == 65534 && info.st_gid == 65534)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["app.conf"])
    }

    @Test func aNewFile_isRootsAlone_andALinkInPlaceIsReplacedNotFollowed() throws {
        let directory = TestTree.makeTemporaryDirectory("system-file")
        defer { TestTree.remove(directory) }
        try SystemFileWriter.write(Array("secret\n".utf8), to: directory + "/new.conf")
        var info = stat()
        stat(directory + "/new.conf", &info)
        #expect(info.st_mode & 0o7777 == 0o600 && info.st_uid == 0)

        // A link where the file goes is replaced by the file; what it pointed to is untouched.
        let elsewhere = directory + "/elsewhere"
        try "keep\n".write(toFile: elsewhere, atomically: false, encoding: .utf8)
        symlink(elsewhere, directory + "/linked.conf")
        try SystemFileWriter.write(Array("mine\n".utf8), to: directory + "/linked.conf")
        #expect(try String(contentsOfFile: elsewhere, encoding: .utf8) == "keep\n")
        lstat(directory + "/linked.conf", &info)
        #expect(info.st_mode & S_IFMT == S_IFREG)
        #expect(throws: SystemFileWriter.Failure.self) {
            try SystemFileWriter.write([1], to: directory)
        }
    }

    @Test func aRead_ofAFIFO_returnsNothingAtOnce_andOfALargeFileFails() throws {
        let directory = TestTree.makeTemporaryDirectory("system-file")
        defer { TestTree.remove(directory) }
        mkfifo(directory + "/fifo", 0o600)
        let started = ContinuousClock.now
        #expect(try SystemFileWriter.read(directory + "/fifo", limit: 100) == nil)
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(try SystemFileWriter.read(directory + "/gone", limit: 100) == nil)
        try String(repeating: "x", count: 101).write(toFile: directory + "/big", atomically: false, encoding: .utf8)
        #expect(throws: SystemFileWriter.Failure.self) { try SystemFileWriter.read(directory + "/big", limit: 100) }
        #expect(try SystemFileWriter.read(directory + "/big", limit: 101)?.count == 101)
    }
}
