/// What `CertificateStore.initialize` did: the paths it created and the ones it found and kept.
public struct CertificateInitReport: Sendable, Equatable, CustomStringConvertible {
    public var created: [String] = []
    public var kept: [String] = []

    public init(created: [String] = [], kept: [String] = []) {
        self.created = created
        self.kept = kept
    }

    public var description: String {
        (created.map { "created \($0)" } + kept.map { "kept    \($0)" }).joined(separator: "\n")
    }
}
