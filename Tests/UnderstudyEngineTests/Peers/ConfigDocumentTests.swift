import Foundation
import Testing
import UnderstudyCore
@testable import UnderstudyPeers

/// The tracked configuration as the wire carries it: a history and its versions, each checked when it arrives.
@Suite struct ConfigDocumentTests {
    func version(_ path: String, content: [UInt8]? = [1, 2]) -> ConfigVersion {
        ConfigVersion(
            group: "web", path: path, version: 1, sequence: 1, takenAt: 5, content: content, digest: "ab", note: "n")
    }

    @Test func versions_roundTrip_withTheirHistory() throws {
        let sent = [version("/etc/nginx/nginx.conf"), version("/etc/nginx/gone.conf", content: nil)]
        let document = try ConfigDocument.encode(history: "h1", sent)
        let (history, versions) = try ConfigDocument.decode(document, group: "web")
        #expect(history == "h1" && versions == sent)
        #expect(try ConfigDocument.decode([], group: "web").history == nil)
    }

    @Test func aHostilePath_isRefused_sayingWhy() throws {
        for path in ["etc/x", "/etc/../shadow", "/etc//x", "/etc/x/", "/etc/./x", "/etc/x\u{0}y"] {
            let document = try ConfigDocument.encode(history: "h1", [version(path)])
            #expect(throws: (any Error).self, "\(path)") { try ConfigDocument.decode(document, group: "web") }
            do {
                _ = try ConfigDocument.decode(document, group: "web")
            } catch {
                #expect("\(error)".contains("not one absolute path"), "\(error)")
            }
        }
        let large = try ConfigDocument.encode(
            history: "h1", [version("/etc/x", content: [UInt8](repeating: 1, count: ConfigVersion.maximumSize + 1))])
        #expect(throws: (any Error).self) { try ConfigDocument.decode(large, group: "web") }
        #expect(throws: (any Error).self) { try ConfigDocument.decode(Array("not json".utf8), group: "web") }
    }
}
