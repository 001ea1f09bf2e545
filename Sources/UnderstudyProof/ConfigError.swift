import UnderstudyCore

/// A tracked-configuration request that cannot be done as asked (nothing was written).
public typealias ConfigError = CodedFailure<ConfigErrorCode>

public enum ConfigErrorCode: String, Sendable, CaseIterable {
    /// No such group in the configuration.
    case unknownGroup = "unknown-group"
    /// The group tracks no file of that path, or keeps no such version.
    case unknownVersion = "unknown-version"
    /// Only the group's primary tracks (and rolls back) its configuration.
    case notTracker = "not-tracker"
    /// The file could not be written back.
    case writeFailed = "write-failed"
    /// The state database could not be read or written.
    case stateFailed = "state-failed"
}
