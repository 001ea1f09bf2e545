import Foundation

extension FileAttributes {
    /// The modification time as a date (records and reports people read).
    public var modified: Date {
        Date(timeIntervalSince1970: Double(mtimeSeconds) + Double(mtimeNanoseconds) / 1e9)
    }
}
