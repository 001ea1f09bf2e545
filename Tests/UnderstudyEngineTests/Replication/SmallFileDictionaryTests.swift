import Foundation
import Testing
import UnderstudyFileSystem
import UnderstudyState
@testable import UnderstudyNode
@testable import UnderstudyReplication

@Suite struct SmallFileDictionaryTests {
    /// A tree of `count` files made by `content`, and their paths.
    static func share(
        _ label: String, count: Int, content: (Int) -> [UInt8]
    ) throws -> (String, ShareDirectory, [String]) {
        let root = TestTree.makeTemporaryDirectory(label)
        var paths: [String] = []
        for number in 0..<count {
            let path = "etc/f\(number).conf"
            TestTree.write(root, path, content(number))
            paths.append(path)
        }
        return (root, try ShareDirectory(path: root, create: false), paths.sorted())
    }

    @Test func smallFilesOfOneKind_trainADictionaryThatPays() throws {
        let (root, share, paths) = try Self.share("dict-pays", count: 300) { ZstdDictionaryTests.sample($0) }
        defer { TestTree.remove(root) }
        guard case .trained(let dictionary) = try SmallFileDictionary.train(share: share, candidates: paths, level: 3)
        else {
            Issue.record("no dictionary for 300 files of one kind")
            return
        }
        #expect(dictionary.savings >= SmallFileDictionary.minimumSavings)
        #expect(dictionary.samples == 300)
        #expect(!dictionary.wire.isEmpty && dictionary.wire.count < dictionary.dictionary.bytes.count)
    }

    @Test func randomData_trainsNoDictionary_becauseItDoesNotPay() throws {
        let (root, share, paths) = try Self.share("dict-random", count: 300) {
            TestTree.randomBytes(2000 + $0 * 7, seed: UInt64($0))
        }
        defer { TestTree.remove(root) }
        let training = try SmallFileDictionary.train(share: share, candidates: paths, level: 3)
        guard case .doesNotPay(let savings, _) = training else {
            Issue.record("random data should not pay: \(training)")
            return
        }
        #expect(savings < SmallFileDictionary.minimumSavings)
    }

    @Test func aFewFiles_areTooFewToTrainOn() throws {
        let (root, share, paths) = try Self.share("dict-few", count: 20) { ZstdDictionaryTests.sample($0) }
        defer { TestTree.remove(root) }
        guard case .tooFewSamples(20) = try SmallFileDictionary.train(share: share, candidates: paths, level: 3) else {
            Issue.record("20 files are too few")
            return
        }
    }

    @Test func slot_trainsOnce_thenAgainAfterADay() {
        let slot = DictionarySlot()
        #expect(slot.current(now: 100, files: 500).train)
        #expect(!slot.current(now: 101, files: 500).train, "one training at a time")
        slot.finished(nil, at: 102)
        #expect(!slot.current(now: 103, files: 900).train)
        #expect(slot.current(now: 102 + DictionarySlot.retrainAfter, files: 900).train)
    }

    @Test func slot_afterTooFewFiles_triesAgain_onceTheShareHasTwiceAsMany() {
        let slot = DictionarySlot()
        #expect(slot.current(now: 0, files: 60).train)
        slot.tooFew(files: 60, at: 1)
        #expect(!slot.current(now: 2, files: 119).train, "not yet twice as many")
        #expect(slot.current(now: 3, files: 120).train)
        slot.tooFew(files: 2, at: 4)
        #expect(!slot.current(now: 5, files: 50).train, "fewer than a training needs")
    }
}
