import Dispatch
import Foundation
import NIOConcurrencyHelpers
import Testing
import UnderstudyState
import UnderstudySupport
import UnderstudyWire

/// The shares' resume points are saved in rounds: those saved at the same time share a commit, and each is in the
/// database when its save returns, as it is after the database is opened again.
@Suite struct StateDatabaseResumePointTests {
    @Test func resumePointsSavedAtTheSameTime_areEachDurableWhenTheirSaveReturns() async throws {
        try await withStateTestDirectory { temp in
            let directory = temp.sub("state")
            let database = try StateDatabase(directory: directory)
            let callers = DispatchGroup()
            let failures = NIOLockedValueBox<[String]>([])
            for share in 0..<12 {
                callers.enter()
                Thread {
                    defer { callers.leave() }
                    for sequence in 1...5 {
                        let point = ResumePoint(captureID: 7, sequence: UInt64(sequence))
                        do {
                            try database.saveResumePoint(point, share: "g/s\(share)")
                            guard try database.loadResumePoint(share: "g/s\(share)") == point else {
                                failures.withLockedValue { $0.append("g/s\(share) not at \(sequence) after its save") }
                                return
                            }
                        } catch {
                            failures.withLockedValue { $0.append("g/s\(share): \(error)") }
                        }
                    }
                }.start()
            }
            try await onThread { callers.wait() }
            #expect(failures.withLockedValue { $0 } == [])
            let figures = database.resumePointFigures
            #expect(figures.requests == 60 && figures.rounds <= 60, "\(figures)")
            let reopened = try StateDatabase(directory: directory)
            for share in 0..<12 {
                #expect(try reopened.loadResumePoint(share: "g/s\(share)") == ResumePoint(captureID: 7, sequence: 5))
            }
        }
    }
}
