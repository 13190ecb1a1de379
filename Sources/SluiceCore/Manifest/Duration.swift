/// A positive length of time written as in Go and Argo: `30s`, `5m`, `1h30m`, `250ms`.
public struct Duration: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The length in milliseconds.
    public let milliseconds: Int64

    /// Creates a duration from milliseconds.
    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    /// Creates a duration from whole seconds.
    public static func seconds(_ seconds: Int64) -> Duration { Duration(milliseconds: seconds * 1000) }

    /// The length in seconds.
    public var seconds: Double { Double(milliseconds) / 1000 }

    /// The canonical spelling: the largest units first, zero parts left out (`1h30m`, `250ms`).
    public var description: String {
        if milliseconds == 0 { return "0s" }
        var rest = milliseconds
        var text = ""
        for (unit, size) in [("h", Int64(3_600_000)), ("m", 60_000), ("s", 1000), ("ms", 1)] where rest >= size {
            text += "\(rest / size)\(unit)"
            rest %= size
        }
        return text
    }

    public static func < (lhs: Duration, rhs: Duration) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// Parses a duration; the error names what is wrong. Zero is rejected: every duration in a
    /// manifest (a pause, an interval, a window) must be positive.
    public static func parse(_ text: String) -> (value: Duration?, error: String?) {
        guard !text.isEmpty else { return (nil, "a duration may not be empty") }
        var total: Int64 = 0
        var bytes = Array(text.utf8)[...]
        var seenUnits: [String] = []
        while !bytes.isEmpty {
            let digits = bytes.prefix { $0 >= 48 && $0 <= 57 }
            guard !digits.isEmpty else {
                return (nil, "'\(text)' is not a duration: expected a number before each unit")
            }
            bytes = bytes.dropFirst(digits.count)
            let unitBytes = bytes.prefix { ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) }
            bytes = bytes.dropFirst(unitBytes.count)
            let unit = String(decoding: unitBytes, as: UTF8.self)
            let size: Int64
            switch unit {
            case "h": size = 3_600_000
            case "m": size = 60_000
            case "s": size = 1000
            case "ms": size = 1
            case "": return (nil, "'\(text)' has a number without a unit; write e.g. \(String(decoding: digits, as: UTF8.self))s")
            case "d": return (nil, "'\(text)' uses the unit 'd'; units are ms, s, m and h (a day is 24h)")
            default: return (nil, "'\(text)' uses the unit '\(unit)'; units are ms, s, m and h")
            }
            if seenUnits.contains(unit) { return (nil, "'\(text)' names the unit '\(unit)' twice") }
            seenUnits.append(unit)
            guard let number = Int64(String(decoding: digits, as: UTF8.self)),
                case let (product, overflow) = number.multipliedReportingOverflow(by: size), !overflow,
                case let (sum, overflow2) = total.addingReportingOverflow(product), !overflow2,
                sum <= 366 * 86_400_000
            else { return (nil, "'\(text)' is longer than a year") }
            total = sum
        }
        guard total > 0 else { return (nil, "'\(text)' is zero; a duration must be positive") }
        return (Duration(milliseconds: total), nil)
    }
}
