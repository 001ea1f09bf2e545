#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import UnderstudyNode
@testable import UnderstudyState
@testable import UnderstudySupport

@Suite struct StateDirectoryLockTests {
    @Test func aSecondLock_ofTheSameStateDirectory_isRefused_namingTheHolder() throws {
        try withStateTestDirectory { directory in
            let first = try StateDirectoryLock(stateDirectory: directory.sub("state"), node: "alpha")
            let error = #expect(throws: StateDirectoryLockError.self) {
                try StateDirectoryLock(stateDirectory: directory.sub("state"), node: "alpha")
            }
            #expect(
                error?.description.contains("node alpha's daemon is already running (pid \(getpid()))") == true,
                "\(String(describing: error))")
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

    /// A daemon that ended leaves its address guardian holding the lock while it removes the addresses: the next
    /// start waits for it a moment, then, should it linger, names it instead of a daemon that is not there.
    @Test func aLockHeldAfterItsDaemonEnded_isWaitedFor_andThenBlamedOnTheGuardian() async throws {
        // Seconds of waiting: on a thread of its own, not one of the cooperative pool's two.
        try await onThread {
            try withStateTestDirectory { directory in
                let state = directory.sub("g")
                do { _ = try StateDirectoryLock(stateDirectory: state, node: "alpha") }
                // Another open file of the lock (as the guardian's inherited one), saying a daemon no longer alive ran.
                let held = open(state + "/daemon.lock", O_RDWR)
                // A process another test spawns at that moment holds a copy of the dropped lock's file until it
                // execs: wait for it (bounded, 5 s).
                var locked = false
                for _ in 0..<250 where held >= 0 && !locked {
                    locked = flock(held, LOCK_EX | LOCK_NB) == 0
                    if !locked { usleep(20_000) }
                }
                #expect(locked)
                defer { close(held) }
                _ = ftruncate(held, 0)
                _ = pwrite(held, "running 2147483646 2026-12-04T00:00:00Z\n", 40, 0)
                let start = Date()
                let error = #expect(throws: StateDirectoryLockError.self) {
                    try StateDirectoryLock(stateDirectory: state, node: "alpha")
                }
                #expect(Date().timeIntervalSince(start) >= 4, "waited for the guardian before refusing")
                #expect(error?.description.contains("its address guardian") == true, "\(String(describing: error))")

                // Released within the wait: the start goes ahead.
                DispatchQueue.global().asyncAfter(deadline: .now() + 1) { flock(held, LOCK_UN) }
                _ = try StateDirectoryLock(stateDirectory: state, node: "alpha")
            }
        }
    }
}
