/// A writer of the Prometheus text exposition format 0.0.4, shared by the data plane's and
/// the controller's `/metrics`: every family gets `# HELP` and `# TYPE` before its samples,
/// label values and help text are escaped here and only here, and numbers are written the
/// way Prometheus parses them (`NaN`, `+Inf`, `-Inf`, never a locale's separators).
///
/// Families must be written one after another: ``family(_:_:help:)`` starts one, and the
/// samples that follow belong to it. Names are the caller's constants; they are not checked.
public struct PrometheusExposition: Sendable {
    /// The `# TYPE` of a family.
    public enum MetricType: String, Sendable {
        case counter, gauge, histogram
    }

    /// The text so far; a complete exposition once the last family is written.
    public private(set) var text = ""

    /// An empty exposition.
    public init() {}

    /// Starts a family: its `# HELP` (escaped) and `# TYPE` lines.
    public mutating func family(_ name: String, _ type: MetricType, help: String) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(type.rawValue)\n"
    }

    /// One sample of the current family: `name{labels} value`.
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        line(name, labels, Self.format(value))
    }

    /// One sample with an integer value (counts), written exactly.
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: UInt64) {
        line(name, labels, String(value))
    }

    /// One histogram series of the current family: a `_bucket` per upper bound (cumulative
    /// counts, `le` ascending), the `+Inf` bucket equal to `count`, then `_sum` and `_count`.
    /// - Parameters:
    ///   - bounds: the finite upper bounds, ascending.
    ///   - perBucket: the observations in each bucket alone (not cumulative), one per bound;
    ///     observations above the last bound are `count` minus their total.
    public mutating func histogram(
        _ name: String, _ labels: [(String, String)] = [], bounds: [Double], perBucket: [UInt64], sum: Double, count: UInt64
    ) {
        var cumulative: UInt64 = 0
        for (bound, inBucket) in zip(bounds, perBucket) {
            cumulative &+= inBucket
            line(name + "_bucket", labels + [("le", Self.format(bound))], String(cumulative))
        }
        line(name + "_bucket", labels + [("le", "+Inf")], String(count))
        line(name + "_sum", labels, Self.format(sum))
        line(name + "_count", labels, String(count))
    }

    private mutating func line(_ name: String, _ labels: [(String, String)], _ value: String) {
        text += name
        if !labels.isEmpty {
            text += "{"
            for (index, (label, labelValue)) in labels.enumerated() {
                if index > 0 { text += "," }
                text += label
                text += "=\""
                text += Self.escapeLabel(labelValue)
                text += "\""
            }
            text += "}"
        }
        text += " "
        text += value
        text += "\n"
    }

    /// Escapes a label value: backslash, double quote and line feed (the only escapes the
    /// format knows; every other character, any Unicode, is written as it is).
    public static func escapeLabel(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else {
            return value
        }
        var escaped = ""
        escaped.reserveCapacity(value.utf8.count + 8)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// Escapes help text: backslash and line feed (a double quote stays as it is).
    public static func escapeHelp(_ help: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(help.utf8.count)
        for scalar in help.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// A number as Prometheus parses it: `NaN`, `+Inf`, `-Inf`, integers without a
    /// fraction (`1`, not `1.0`, as client libraries write bucket bounds), else the
    /// shortest text that reads back as the same double (`0.0005`, `1e-07`).
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return value.description
    }
}
