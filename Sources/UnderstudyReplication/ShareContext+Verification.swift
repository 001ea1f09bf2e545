import UnderstudyCore

extension ShareContext {
    /// Reports a verification: the files whose replica content differed from the source's though size and time
    /// agreed should never exist, so each one is named (and sent whole).
    func reportVerification(compared: Int, mismatches: [String]) {
        guard !mismatches.isEmpty else {
            logger.info("verification of \(key): \(compared) files compared by content, all identical")
            event(.info, .verifyClean, "\(compared) files compared by content, all identical")
            return
        }
        let named =
            mismatches.prefix(20).map { String(reflecting: $0) }.joined(separator: ", ")
            + (mismatches.count > 20 ? ", …" : "")
        let text =
            "\(mismatches.count) of \(compared) files differed on the replica although their size and modification time matched the source (changed on the replica behind understudy's back, or corrupted by its disk): \(named); sending them again"
        logger.warning("verification of \(key): \(text)")
        event(.warning, .verifyRepaired, text)
        for path in mismatches { sendWhole.insert(path) }
    }
}
