#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import UnderstudyEngine

@Suite struct StateDirectoryLockTests {
    @Test func aSecondLock_ofTheSameStateDirectory_isRefused_namingTheHolder() throws {
        try withStateTestDirectory { directory in
            let first = try StateDirectoryLock(stateDirectory: directory.sub("state"), node: "alpha")
            let error = #expect(throws: StateDirectoryLockError.self) { try StateDirectoryLock(stateDirectory: directory.sub("state"), node: "alpha") }
            #expect(error?.description.contains("node alpha's daemon is already running (pid \(getpid()))") == true, "\(String(describing: error))")
            #expect(error?.description.contains(directory.sub("state")) == true)
            _ = first
        }
    }

    @Test func theLock_isFreed_whenItsHolderGoes() throws {
        try withStateTestDirectory { directory in
            do { _ = try StateDirectoryLock(stateDirectory: directory.sub("s"), node: "alpha") }
            _ = try StateDirectoryLock(stateDirectory: directory.sub("s"), node: "alpha")
        }
    }

    @Test func tellsWhetherTheLastRunStoppedCleanly() throws {
        try withStateTestDirectory { directory in
            let state = directory.sub("s")
            do {
                let fresh = try StateDirectoryLock(stateDirectory: state, node: "alpha")
                #expect(fresh.previousRun == .none, "a new state directory: nothing to clean up")
                #expect(fresh.previousRunStoppedCleanly)
            }
            do {
                // The last run ended without `markStoppedCleanly` (a kill -9 leaves "running").
                let crashed = try StateDirectoryLock(stateDirectory: state, node: "alpha")
                #expect(!crashed.previousRunStoppedCleanly)
                crashed.markStoppedCleanly()
            }
            let clean = try StateDirectoryLock(stateDirectory: state, node: "alpha")
            #expect(clean.previousRunStoppedCleanly)
            let text = try String(contentsOfFile: state + "/daemon.lock", encoding: .utf8)
            #expect(text.hasPrefix("running \(getpid()) "), "\(text)")
        }
    }

    @Test func aStateDirectoryOfAnOlderVersion_withoutTheFile_isCleanedUpAfter() throws {
        try withStateTestDirectory { directory in
            let state = directory.sub("old")
            mkdir(state, 0o700)
            FileManager.default.createFile(atPath: state + "/state.sqlite", contents: Data())
            let lock = try StateDirectoryLock(stateDirectory: state, node: "alpha")
            #expect(lock.previousRun == .unknownEnd)
        }
    }
}
