import Foundation

/// A fresh directory under the system temp dir for one test, removed by `remove()`.
struct StateTestDirectory {
    let path: String

    init() throws {
        path = TestTree.makeTemporaryDirectory("state")
    }

    func sub(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    func remove() {
        TestTree.remove(path)
    }
}

/// Runs `body` with a temp directory that is removed afterwards, whatever happens.
func withStateTestDirectory<T>(_ body: (StateTestDirectory) throws -> T) throws -> T {
    let directory = try StateTestDirectory()
    defer { directory.remove() }
    return try body(directory)
}

func withStateTestDirectory<T>(_ body: (StateTestDirectory) async throws -> T) async throws -> T {
    let directory = try StateTestDirectory()
    defer { directory.remove() }
    return try await body(directory)
}
