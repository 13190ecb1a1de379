/// An exposition in the Prometheus text format read back line by line, independently of
/// the writer: samples with unescaped labels, each family's type and help, and what
/// breaks the format's rules (a sample outside its family, a family declared twice, a
/// family without HELP or TYPE).
public struct ParsedExposition: Sendable {
    /// One sample line: `name{label="value",…} value`.
    public struct Sample: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public private(set) var samples: [Sample] = []
    /// Each family's `# TYPE`.
    public private(set) var types: [String: String] = [:]
    /// Each family's `# HELP`, unescaped.
    public private(set) var helps: [String: String] = [:]
    /// Rule violations, in order; empty for a good exposition.
    public private(set) var problems: [String] = []

    public init(_ text: String) {
        if !text.isEmpty, !text.hasSuffix("\n") { problems.append("the text does not end with a line feed") }
        var current: String?
        var finished: Set<String> = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let words = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
                guard words.count == 4 else { problems.append("malformed: \(line)"); continue }
                let name = String(words[2])
                if name != current {
                    if let current { finished.insert(current) }
                    if finished.contains(name) { problems.append("family \(name) declared again after another family") }
                    current = name
                }
                if words[1] == "TYPE" {
                    if types[name] != nil { problems.append("second TYPE for \(name)") }
                    types[name] = String(words[3])
                } else {
                    helps[name] = Self.unescapeHelp(words[3])
                }
            } else if line.hasPrefix("#") {
                continue
            } else {
                guard let sample = Self.sample(String(line)) else { problems.append("not a sample line: \(line)"); continue }
                let family = current.map { family in
                    types[family] == "histogram" && [family + "_bucket", family + "_sum", family + "_count"].contains(sample.name) ? family : sample.name
                } ?? sample.name
                if family != current { problems.append("sample \(sample.name) is outside its family (in \(current ?? "none"))") }
                samples.append(sample)
            }
        }
        for family in Set(types.keys).union(helps.keys) where types[family] == nil || helps[family] == nil {
            problems.append("family \(family) lacks HELP or TYPE")
        }
    }

    /// The value of the sample with exactly these labels.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// The samples of `name` whose labels include `labels`.
    public func samples(_ name: String, matching labels: [String: String] = [:]) -> [Sample] {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
    }

    /// One histogram series read back: `(le, cumulative count)` ascending, `_sum`, `_count`.
    public struct Histogram: Sendable {
        public var buckets: [(le: Double, count: Double)]
        public var sum: Double?
        public var count: Double?

        /// What is wrong with it: buckets not ascending or not monotone, no `+Inf`, or
        /// `+Inf` different from `_count`.
        public var problems: [String] {
            var problems: [String] = []
            if buckets.last?.le != .infinity { problems.append("no +Inf bucket") }
            for (previous, next) in zip(buckets, buckets.dropFirst()) {
                if !(previous.le < next.le) { problems.append("le \(previous.le) then \(next.le)") }
                if next.count < previous.count { problems.append("bucket le=\(next.le) has \(next.count) < \(previous.count)") }
            }
            if buckets.last?.count != count { problems.append("+Inf bucket \(String(describing: buckets.last?.count)) != _count \(String(describing: count))") }
            if sum == nil { problems.append("no _sum") }
            return problems
        }
    }

    /// The histogram series of `family` with exactly `labels` (besides `le`), in text order.
    public func histogram(_ family: String, _ labels: [String: String] = [:]) -> Histogram {
        let buckets = samples.filter { $0.name == family + "_bucket" && $0.labels.filter { $0.key != "le" } == labels }.map { sample in
            (le: sample.labels["le"].flatMap(Self.number) ?? .nan, count: sample.value)
        }
        return Histogram(buckets: buckets, sum: value(family + "_sum", labels), count: value(family + "_count", labels))
    }

    static func number(_ text: String) -> Double? {
        switch text {
        case "NaN": .nan
        case "+Inf": .infinity
        case "-Inf": -.infinity
        default: Double(text)
        }
    }

    private static func unescapeHelp(_ text: Substring) -> String {
        var output = ""
        var escaping = false
        for character in text {
            if escaping {
                output.append(character == "n" ? "\n" : character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                output.append(character)
            }
        }
        return output
    }

    private static func sample(_ line: String) -> Sample? {
        var scalars = Substring(line).unicodeScalars[...]
        func isNameScalar(_ scalar: Unicode.Scalar, first: Bool) -> Bool {
            scalar == "_" || scalar == ":" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
                || (!first && ("0"..."9").contains(scalar))
        }
        func takeName() -> String? {
            var name = ""
            while let scalar = scalars.first, isNameScalar(scalar, first: name.isEmpty) {
                name.unicodeScalars.append(scalar)
                scalars.removeFirst()
            }
            return name.isEmpty ? nil : name
        }
        guard let name = takeName() else { return nil }
        var labels: [String: String] = [:]
        if scalars.first == "{" {
            scalars.removeFirst()
            while scalars.first != "}" {
                guard let label = takeName(), scalars.popFirst() == "=", scalars.popFirst() == "\"" else { return nil }
                var value = ""
                while true {
                    guard let scalar = scalars.popFirst() else { return nil }
                    if scalar == "\"" { break }
                    if scalar == "\\" {
                        switch scalars.popFirst() {
                        case "\\": value += "\\"
                        case "\"": value += "\""
                        case "n": value += "\n"
                        default: return nil
                        }
                    } else {
                        value.unicodeScalars.append(scalar)
                    }
                }
                guard labels[label] == nil else { return nil }
                labels[label] = value
                if scalars.first == "," { scalars.removeFirst() }
            }
            scalars.removeFirst()
        }
        guard scalars.popFirst() == " ", let value = number(String(String.UnicodeScalarView(scalars))) else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }
}
