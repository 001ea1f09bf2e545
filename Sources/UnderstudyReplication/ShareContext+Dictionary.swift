import UnderstudyFileSystem

extension ShareContext {
    /// The small-file dictionary for the hop to the off-site node, if one pays; its training starts in the background
    /// the first time this is asked (and a day after the last), so the sync that asks goes on without one.
    package func offsiteDictionary() -> SmallFileDictionary? {
        let (dictionary, train) = dictionarySlot.current(now: now(), files: index.snapshot.count)
        if train {
            let context = self
            // A bounded job (at most `SmallFileDictionary.maximumSampleBytes` read and trained on), not a service.
            Task.detached(priority: .background) { context.trainDictionary() }
        }
        return dictionary
    }

    private func trainDictionary() {
        var trained: SmallFileDictionary?
        let files = index.snapshot
        guard files.count >= SmallFileDictionary.minimumSamples else {
            // A replica still filling (or not there yet): tried again once it has twice as many files.
            dictionarySlot.tooFew(files: files.count, at: now())
            return
        }
        do {
            let share = try ShareDirectory(path: localPath, create: false)
            switch try SmallFileDictionary.train(share: share, index: files, level: Int32(group.offsiteCompression)) {
            case .trained(let dictionary):
                trained = dictionary
                logger.info(
                    "\(key): small files to the off-site node are compressed with a dictionary trained on \(dictionary.samples) of them (\(Int(dictionary.savings * 100)) % fewer bytes; it travels once per connection as \(dictionary.wire.count) bytes)"
                )
            case .doesNotPay(let savings, let samples):
                logger.info(
                    "\(key): no compression dictionary for the off-site node: trained on \(samples) small files, it saved only \(Int(savings * 100)) %"
                )
            case .tooFewSamples(let count):
                logger.debug("\(key): no compression dictionary yet: only \(count) small files to train on")
                dictionarySlot.tooFew(files: files.count, at: now())
                return
            }
        } catch {
            // Tried again once the share has twice as many files (at first the replica may not even exist yet).
            logger.warning("\(key): could not train a compression dictionary for the off-site node: \(error)")
            dictionarySlot.tooFew(files: files.count, at: now())
            return
        }
        dictionarySlot.finished(trained, at: now())
    }
}
