#if canImport(Glibc)
import Glibc
#endif

/// An absolute path as the kernel would walk it: `..` and `.` applied and symbolic links followed for the part that
/// exists; the part that does not exist yet is appended as written, with `..` applied to it. What guards compare.
package enum ResolvedPath {
    package static func resolve(_ path: String) -> String {
        var existing = path
        var missing: [Substring] = []
        while true {
            if let real = realpath(existing, nil) {
                defer { free(real) }
                var result = String(cString: real).split(separator: "/", omittingEmptySubsequences: true)
                for component in missing.reversed() {
                    if component == "." || component.isEmpty { continue }
                    if component == ".." {
                        if !result.isEmpty { result.removeLast() }
                    } else {
                        result.append(component)
                    }
                }
                return "/" + result.joined(separator: "/")
            }
            guard let slash = existing.lastIndex(of: "/"), existing != "/" else { return path }
            missing.append(existing[existing.index(after: slash)...])
            existing = slash == existing.startIndex ? "/" : String(existing[..<slash])
        }
    }

    /// True when the absolute path `path` is `ancestor` or lies below it.
    package static func isWithin(_ path: String, _ ancestor: String) -> Bool {
        path == ancestor || path.hasPrefix(ancestor == "/" ? "/" : ancestor + "/")
    }
}
