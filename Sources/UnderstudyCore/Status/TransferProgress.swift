/// Files and bytes done against a plan's totals, with rate and time remaining. Time is an input.
public struct TransferProgress: Sendable, Equatable {
    public var filesTotal: Int64
    public var bytesTotal: Int64
    public var filesDone: Int64 = 0
    public var bytesDone: Int64 = 0
    public let startedAt: Double

    public init(filesTotal: Int64, bytesTotal: Int64, startedAt: Double) {
        self.filesTotal = filesTotal
        self.bytesTotal = bytesTotal
        self.startedAt = startedAt
    }

    /// Bytes per second since the start; nil until some time has passed.
    public func rate(now: Double) -> Double? {
        let elapsed = now - startedAt
        guard elapsed > 0.05 else { return nil }
        return Double(bytesDone) / elapsed
    }

    /// Seconds left at the rate so far; nil while the rate is unknown or zero.
    public func eta(now: Double) -> Double? {
        guard let rate = rate(now: now), rate > 0 else { return nil }
        return Double(max(0, bytesTotal - bytesDone)) / rate
    }

    /// "1204/20000 files, 12.0 MiB/312.5 MiB, 48.1 MiB/s, ETA 6s"
    public func line(now: Double) -> String {
        var text = "\(filesDone)/\(filesTotal) files, \(ByteCount.format(bytesDone))/\(ByteCount.format(bytesTotal))"
        if let rate = rate(now: now) { text += ", \(ByteCount.format(Int64(rate)))/s" }
        if let eta = eta(now: now) { text += ", ETA \(Int(eta.rounded(.up)))s" }
        return text
    }
}

public enum ByteCount {
    /// Binary units, one decimal: "0 B", "512 B", "1.5 KiB", "3.2 GiB".
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while abs(value) >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        let tenths = (value * 10).rounded() / 10
        return "\(tenths) \(units[unit])"
    }
}
