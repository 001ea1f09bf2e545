enum ShareName {
    /// "group/share" → ("group", "share"); "group" → ("group", nil).
    static func split(_ text: String?) -> (String?, String?) {
        guard let text, !text.isEmpty else { return (nil, nil) }
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        return (parts[0], parts.count > 1 ? parts[1] : nil)
    }
}
