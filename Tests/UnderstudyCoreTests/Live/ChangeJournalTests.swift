import Testing
import UnderstudyCore

struct ChangeJournalTests {
    @Test func acknowledgement_removesWhatTheSyncCovered_butNotLaterChanges() {
        var journal = ChangeJournal(captureID: 7)
        journal.record([ScopedPath("a", recursive: false)], capturedAt: 1)
        journal.record([ScopedPath("b", recursive: true)], capturedAt: 2)
        let (scope, upTo) = journal.scope()
        #expect(
            scope == [
                ScopedPath("", recursive: false), ScopedPath("a", recursive: false), ScopedPath("b", recursive: true),
            ])
        #expect(upTo == 2)
        journal.record([ScopedPath("c", recursive: false)], capturedAt: 3)  // arrives while the sync runs
        journal.acknowledge(upTo: upTo, failed: [], at: 4)
        #expect(journal.entries.keys.sorted() == ["c"])
        #expect(journal.oldestCapturedAt == 3)
    }

    @Test func scope_comparesTheParentOfEveryPath_tooSinceReplacingAFileTouchesIt() {
        var journal = ChangeJournal(captureID: 1)
        journal.record(
            [ScopedPath("docs/a/report.txt", recursive: false), ScopedPath("docs/b", recursive: true)], capturedAt: 1)
        #expect(
            journal.scope().scope == [
                ScopedPath("docs", recursive: false), ScopedPath("docs/a", recursive: false),
                ScopedPath("docs/a/report.txt", recursive: false), ScopedPath("docs/b", recursive: true),
            ])
    }

    @Test func pathChangedAgainDuringSync_staysUntilTheNextAcknowledgement() {
        var journal = ChangeJournal(captureID: 1)
        journal.record([ScopedPath("a", recursive: false)], capturedAt: 1)
        let upTo = journal.scope().upTo
        journal.record([ScopedPath("a", recursive: false)], capturedAt: 2)
        journal.acknowledge(upTo: upTo, failed: [], at: 3)
        #expect(journal.entries["a"]?.sequence == 2)
        // The lag counts from the first capture that is still unacknowledged.
        #expect(journal.oldestCapturedAt == 1)
    }

    @Test func failedPaths_stayForTheNextSync_withTheirAge() {
        var journal = ChangeJournal(captureID: 1)
        journal.record([ScopedPath("dir", recursive: true)], capturedAt: 5)
        let upTo = journal.scope().upTo
        journal.acknowledge(upTo: upTo, failed: ["dir/file"], at: 9)
        #expect(journal.entries["dir/file"] == ChangeJournal.Entry(recursive: false, sequence: 1, capturedAt: 5))
        #expect(journal.entries["dir"] == nil)
        journal.acknowledge(upTo: journal.scope().upTo, failed: [], at: 10)
        #expect(journal.count == 0)
        #expect(journal.oldestCapturedAt == nil)
    }

    @Test func journalPastItsLimit_atTheTopOfTheShare_becomesOneEntryForTheWholeShare() {
        var journal = ChangeJournal(captureID: 1)
        journal.record((0..<ChangeJournal.maximumEntries).map { ScopedPath("f\($0)", recursive: false) }, capturedAt: 3)
        #expect(journal.count == ChangeJournal.maximumEntries)
        journal.record([ScopedPath("one-more", recursive: false)], capturedAt: 5)
        #expect(journal.entries == ["": ChangeJournal.Entry(recursive: true, sequence: 2, capturedAt: 3)])
        #expect(journal.scope().scope == [ScopedPath("", recursive: true)])
    }

    @Test func journalPastItsLimit_keepsOnlyTheDirectoriesThatChanged_neverTheWholeShare() {
        var journal = ChangeJournal(captureID: 1)
        // 20 directories with 6,000 files each, one level down: 120,000 paths.
        for directory in 0..<20 {
            journal.record(
                (0..<6000).map { ScopedPath("mail/box\(directory)/m\($0)", recursive: false) },
                capturedAt: Double(directory))
        }
        journal.record([ScopedPath("top.txt", recursive: false)], capturedAt: 30)
        #expect(journal.count <= ChangeJournal.maximumEntries / 2)
        // The 17th directory took it past the limit: the 17 so far became one entry each.
        #expect(journal.entries["mail/box0"] == ChangeJournal.Entry(recursive: true, sequence: 1, capturedAt: 0))
        #expect(journal.entries["mail/box16"]?.recursive == true)
        #expect(journal.entries["mail/box19/m5"] != nil, "what came after, below the limit, stays path by path")
        #expect(journal.entries["top.txt"]?.recursive == false, "a shallower path stays as it was")
        #expect(journal.entries[""] == nil, "never the whole share")
        let scope = journal.scope().scope
        #expect(!scope.contains(ScopedPath("", recursive: true)))
        #expect(scope.contains(ScopedPath("mail/box7", recursive: true)))
    }

    @Test func journalKeptOnDisk_isRestoredAsItWas() {
        var journal = ChangeJournal(captureID: 9)
        journal.record([ScopedPath("a", recursive: false), ScopedPath("d", recursive: true)], capturedAt: 4)
        let restored = ChangeJournal(captureID: 9, sequence: journal.sequence, entries: journal.entries)
        #expect(restored.scope().scope == journal.scope().scope)
        #expect(restored.scope().upTo == journal.scope().upTo)
    }
}
