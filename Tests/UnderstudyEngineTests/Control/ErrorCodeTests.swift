import Foundation
import Testing
import UnderstudyArchive
import UnderstudyCore
import UnderstudyFileSystem
import UnderstudyState
import UnderstudyWire

/// Errors of the engine's parts reach the control API with their stable codes: a program tests the code, a person
/// reads the message.
struct ErrorCodeTests {
    @Test func theStateDatabasesErrors_answerWithTheirCode_andTheirMessage() {
        let error = StateError(code: .diskFull, message: "the disk of /var/lib/understudy is full", path: "/x")
        #expect(
            ControlResponse.failure(error)
                == .refused("the disk of /var/lib/understudy is full", code: "state-disk-full"))
    }

    @Test func aRefusedPath_answersPathRefused() {
        let error = FileSystemError(.pathRefused, operation: "traverses a symlink", path: "a/b")
        #expect(ControlResponse.failure(error).code == "path-refused")
        #expect(ControlResponse.failure(error).error == error.description)
    }

    @Test func aWireError_answersTheNameOfItsWireCode() {
        #expect(ControlResponse.failure(WireError(.unknownShare, "no share x")).code == "unknown-share")
    }

    @Test func everyCodeOfAPart_isKebabCase() {
        let codes =
            ArchiveError.Code.allCases.map(\.rawValue) + StateError.Code.allCodes
            + [FileSystemError.Code.pathRefused.rawValue]
        for code in codes {
            #expect(code.allSatisfy { $0.isLowercase || $0 == "-" }, "\(code)")
        }
    }
}

extension StateError.Code {
    fileprivate static var allCodes: [String] {
        [
            Self.directoryUnavailable, .permissionDenied, .notADatabase, .newerSchema, .corrupt, .diskFull,
            .invalidRecord, .openFailed, .accessFailed,
        ].map(\.rawValue)
    }
}
