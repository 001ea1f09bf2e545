import UnderstudyFileSystem

extension ShareContext {
    /// Trains the share's small-file dictionary for the hop to the off-site node from its tree and index, and keeps
    /// the outcome in `dictionarySlot`; logs which it was. Blocking (reads up to 8 MiB, trains about a second): run by
    /// `DictionaryTrainer` on a thread of its own.
    func trainDictionary() {
        var trained: SmallFileDictionary?
        let files = index.fileCount
        guard files >= SmallFileDictionary.minimumSamples else {
            // A replica still filling (or not there yet): tried again once it has twice as many files.
            dictionarySlot.tooFew(files: files, at: now())
            return
        }
        do {
            let share = try ShareDirectory(path: localPath, create: false)
            switch try SmallFileDictionary.train(
                share: share,
                candidates: index.samplePaths(
                    sizes: SmallFileDictionary.sampleSizes, count: SmallFileDictionary.maximumSamples),
                level: Int32(group.offsiteCompression))
            {
            case .trained(let dictionary):
                trained = dictionary
                logger.info(
                    "\(key): small files to the off-site node are compressed with a dictionary trained on \(dictionary.samples) of them (\(Int(dictionary.savings * 100)) % fewer bytes; it travels once per connection as \(dictionary.wire.count) bytes)"
                )
            case .doesNotPay(let savings, let samples):
                logger.info(
                    "\(key): no compression dictionary for the off-site node: trained on \(samples) small files, it saved only \(Int(savings * 100)) %"
                )
                if samples < SmallFileDictionary.maximumSamples {
                    // Few samples, perhaps from a replica still filling: tried again once there are twice as many files.
                    dictionarySlot.tooFew(files: files, at: now())
                    return
                }
            case .tooFewSamples(let count):
                logger.debug("\(key): no compression dictionary yet: only \(count) small files to train on")
                dictionarySlot.tooFew(files: files, at: now())
                return
            }
        } catch {
            // Tried again once the share has twice as many files (at first the replica may not even exist yet).
            logger.warning("\(key): could not train a compression dictionary for the off-site node: \(error)")
            dictionarySlot.tooFew(files: files, at: now())
            return
        }
        dictionarySlot.finished(trained, at: now())
    }
}
