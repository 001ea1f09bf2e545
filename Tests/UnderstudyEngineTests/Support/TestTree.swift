#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation

/// Builds and compares real trees for replication tests: content, kind, symlink targets, mode, mtime (ns),
/// owner, and hard-link structure.
enum TestTree {
    static func makeTemporaryDirectory(_ label: String) -> String {
        var template = Array("/tmp/understudy-test-\(label)-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        return path
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    static func write(_ root: String, _ relative: String, _ content: [UInt8], mode: mode_t = 0o644) {
        let path = root + "/" + relative
        try! FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
        precondition(fd >= 0, "cannot create \(path)")
        content.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count { offset += Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset) }
        }
        fchmod(fd, mode)
        close(fd)
    }

    static func write(_ root: String, _ relative: String, _ text: String, mode: mode_t = 0o644) {
        write(root, relative, Array(text.utf8), mode: mode)
    }

    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &+ 0x9E3779B97F4A7C15
        var bytes = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            withUnsafeBytes(of: state) { word in
                for byte in word where index < count {
                    bytes[index] = byte
                    index += 1
                }
            }
        }
        return bytes
    }

    /// A file of `size` bytes that is mostly a hole, with a few marked bytes (never held in memory).
    static func writeSparse(_ root: String, _ relative: String, size: Int64, marks: [Int64]) {
        let path = root + "/" + relative
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0)
        ftruncate(fd, off_t(size))
        for mark in marks {
            var byte = UInt8(truncatingIfNeeded: mark % 251 + 1)
            pwrite(fd, &byte, 1, off_t(mark))
        }
        close(fd)
    }

    static func symlink(_ root: String, _ relative: String, target: String) {
        Glibc.symlink(target, root + "/" + relative)
    }

    static func setTime(_ root: String, _ relative: String, seconds: Int, nanoseconds: Int = 0) {
        var times = [timespec(tv_sec: seconds, tv_nsec: nanoseconds), timespec(tv_sec: seconds, tv_nsec: nanoseconds)]
        utimensat(AT_FDCWD, root + "/" + relative, &times, AT_SYMLINK_NOFOLLOW)
    }

    struct Entry: Equatable, CustomStringConvertible {
        var kind: String
        var mode: UInt32
        var mtime: Int64
        var uid: UInt32
        var gid: UInt32
        var size: Int64
        var digest: String
        var linkGroup: Int

        var description: String {
            "\(kind) mode=\(String(mode, radix: 8)) mtime=\(mtime) uid=\(uid) gid=\(gid) size=\(size) digest=\(digest.prefix(12)) link=\(linkGroup)"
        }
    }

    /// Every entry below `root` except `skip(relative)` and our own reserved names, keyed by relative path.
    /// Hard links are numbered by first appearance, so two trees compare equal when their link structure does.
    static func snapshot(
        _ root: String, skip: (String) -> Bool = { _ in false }, compareContent: Bool = true
    ) -> [String: Entry] {
        var result: [String: Entry] = [:]
        var inodeGroups: [UInt64: Int] = [:]
        let paths = (FileManager.default.subpaths(atPath: root) ?? []).sorted()
        var rootStat = stat()
        lstat(root, &rootStat)
        result[""] = Entry(
            kind: "dir", mode: UInt32(rootStat.st_mode & 0o7777), mtime: mtime(rootStat), uid: rootStat.st_uid,
            gid: rootStat.st_gid, size: 0, digest: "", linkGroup: 0)
        for relative in paths {
            if relative.split(separator: "/").contains(where: { $0.hasPrefix(".understudy.") }) || skip(relative) {
                continue
            }
            var st = stat()
            guard lstat(root + "/" + relative, &st) == 0 else { continue }
            var entry = Entry(
                kind: "?", mode: UInt32(st.st_mode & 0o7777), mtime: mtime(st), uid: st.st_uid, gid: st.st_gid,
                size: Int64(st.st_size), digest: "", linkGroup: 0)
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                entry.kind = "dir"
                entry.size = 0
            case S_IFLNK:
                entry.kind = "link"
                entry.mode = 0
                entry.digest =
                    (try? FileManager.default.destinationOfSymbolicLink(atPath: root + "/" + relative)) ?? "?"
            default:
                entry.kind = "file"
                if compareContent { entry.digest = digest(root + "/" + relative) }
                if st.st_nlink > 1 {
                    if inodeGroups[UInt64(st.st_ino)] == nil { inodeGroups[UInt64(st.st_ino)] = inodeGroups.count + 1 }
                    entry.linkGroup = inodeGroups[UInt64(st.st_ino)]!
                }
            }
            result[relative] = entry
        }
        // Only links inside the tree count: an archive's or the history's name for a replica file is not the tree's.
        var members: [Int: Int] = [:]
        for entry in result.values where entry.linkGroup != 0 { members[entry.linkGroup, default: 0] += 1 }
        var renumbered: [Int: Int] = [:]
        for path in result.keys.sorted() where result[path]!.linkGroup != 0 {
            let group = result[path]!.linkGroup
            if members[group]! < 2 {
                result[path]!.linkGroup = 0
            } else {
                if renumbered[group] == nil { renumbered[group] = renumbered.count + 1 }
                result[path]!.linkGroup = renumbered[group]!
            }
        }
        return result
    }

    /// Describes the differences, empty when the trees are the same.
    static func differences(_ source: [String: Entry], _ replica: [String: Entry]) -> [String] {
        Set(source.keys).union(replica.keys).sorted().compactMap { path in
            let a = source[path]
            let b = replica[path]
            if a == b { return nil }
            return
                "\(String(reflecting: path)): source \(a.map(\.description) ?? "missing") vs replica \(b.map(\.description) ?? "missing")"
        }
    }

    static func mtime(_ st: stat) -> Int64 {
        Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    }

    /// SHA-256 over 1 MiB reads, so multi-GiB files compare without being held in memory.
    static func digest(_ path: String) -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return "unreadable" }
        defer { close(fd) }
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count <= 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
        return hasher.finalize().map { String($0, radix: 16) }.joined()
    }

    /// Every path below `root` (relative), by readdir: entries that vanish during the walk are skipped, not fatal.
    static func names(below root: String) -> [String] {
        var result: [String] = []
        var pending = [""]
        while let relative = pending.popLast() {
            guard let stream = opendir(relative.isEmpty ? root : root + "/" + relative) else { continue }
            defer { closedir(stream) }
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name == "." || name == ".." { continue }
                let path = relative.isEmpty ? name : relative + "/" + name
                result.append(path)
                if Int32(entry.pointee.d_type) == Int32(DT_DIR) { pending.append(path) }
            }
        }
        return result
    }
}
