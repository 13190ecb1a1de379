/// A baseline file: each feature's reference distribution, kept in the manifest
/// repository and named by monitors (`reference: baselines/fraud-v2.1.json`).
///
/// ```json
/// {
///   "apiVersion": "sluice/v1",
///   "kind": "Baseline",
///   "source": "data/train.csv",
///   "rows": 50000,
///   "features": {
///     "amount": {"kind": "numeric", "count": 49990, "missing": 10,
///                "edges": [0.5, 3.2, …, 980], "proportions": [0, 0.1, …, 0],
///                "sample": [12.5, …], "sketch": {"k": 200, …}},
///     "country": {"kind": "categorical", "counts": {"DE": 120, "FR": 80}, "missing": 0}
///   }
/// }
/// ```
///
/// Numeric features have `edges` (at least 2, ascending) and `proportions` (edges + 1:
/// underflow, one per bin between edges, overflow; raw, summing to 1) over `count`
/// values, and optionally `sample` (raw values: all of them, or a uniform subsample) and
/// `sketch` (a `QuantileSketch` of all `count` values). Categorical features have `counts`.
/// `missing` (empty cells), `source` and `rows` are informative. Unknown fields are errors.
public struct DriftBaseline: Sendable, Hashable {
    /// The `apiVersion` this code reads and writes.
    public static let apiVersion = "sluice/v1"
    /// The document's `kind`.
    public static let kind = "Baseline"

    /// One feature's reference.
    public struct Feature: Sendable, Hashable {
        /// The feature's name (a column, an input or an output).
        public var name: String
        /// Numbers or categories.
        public var kind: FeatureData.Kind
        /// Values summarized (for categories, the sum of `counts`).
        public var count: Int
        /// Empty cells seen when building, not part of the distribution.
        public var missing: Int
        /// Numeric: bin edges, ascending, at least 2.
        public var edges: [Double]
        /// Numeric: edges.count + 1 proportions (underflow, bins, overflow), summing to 1.
        public var proportions: [Double]
        /// Numeric: raw values (all, or a uniform subsample when `sketch` is present).
        public var sample: [Double]?
        /// Numeric: a sketch of all `count` values.
        public var sketch: QuantileSketch?
        /// Categorical: how often each category occurs.
        public var counts: [String: Int]

        /// A numeric feature.
        public init(name: String, count: Int, missing: Int = 0, edges: [Double], proportions: [Double], sample: [Double]? = nil, sketch: QuantileSketch? = nil) {
            self.name = name
            self.kind = .numeric
            self.count = count
            self.missing = missing
            self.edges = edges
            self.proportions = proportions
            self.sample = sample
            self.sketch = sketch
            self.counts = [:]
        }

        /// A categorical feature.
        public init(name: String, counts: [String: Int], missing: Int = 0) {
            self.name = name
            self.kind = .categorical
            self.count = counts.values.reduce(0, +)
            self.missing = missing
            self.edges = []
            self.proportions = []
            self.sample = nil
            self.sketch = nil
            self.counts = counts
        }

        /// The reference for `test`: ks and wasserstein (and auto, nil) take the raw
        /// sample, else the sketch, else the bins; the binned tests take the bins, which
        /// were computed from every value.
        public func data(for test: DriftTest?) -> FeatureData {
            guard kind == .numeric else { return .categorical(counts: counts) }
            let binned = FeatureData.binned(edges: edges, proportions: proportions, count: count)
            switch test {
            case nil, .ks?, .wasserstein?:
                if let sample { return .numericSample(sample) }
                if let sketch { return .numericSketch(sketch) }
                return binned
            case .psi?, .chiSquare?, .jensenShannon?, .hellinger?:
                return binned
            }
        }
    }

    /// The features in document order.
    public var entries: [Feature]
    /// What the baseline was built from (a file name), if recorded.
    public var source: String?
    /// Rows read when building, if recorded.
    public var rows: Int?

    /// Creates a baseline.
    public init(entries: [Feature], source: String? = nil, rows: Int? = nil) {
        self.entries = entries
        self.source = source
        self.rows = rows
    }

    /// Feature names in document order.
    public var featureNames: [String] { entries.map(\.name) }

    /// Each feature's reference for auto tests (raw sample, else sketch, else bins).
    public var features: [String: FeatureData] {
        var features: [String: FeatureData] = [:]
        for entry in entries { features[entry.name] = entry.data(for: nil) }
        return features
    }

    /// The feature called `name`.
    public subscript(name: String) -> Feature? { entries.first { $0.name == name } }

    /// The document, in the form `init(json:)` reads.
    public func jsonValue() -> JSONValue {
        var members: [(String, JSONValue)] = [("apiVersion", .string(Self.apiVersion)), ("kind", .string(Self.kind))]
        if let source { members.append(("source", .string(source))) }
        if let rows { members.append(("rows", .int(rows))) }
        members.append(("features", .object(entries.map { ($0.name, $0.jsonValue()) })))
        return .object(members)
    }
}

extension DriftBaseline {
    /// The document as a file: the structure down to each feature's fields indented, each
    /// field's value (edges, a sample, a sketch) on one line, so a diff shows which
    /// feature and field changed without thousands of one-number lines.
    public func serialized() -> String {
        var output = ""
        Self.write(jsonValue(), to: &output, level: 0)
        return output + "\n"
    }

    private static func write(_ value: JSONValue, to output: inout String, level: Int) {
        guard level < 3, case .object(let members) = value, !members.isEmpty else {
            output += value.serialized()
            return
        }
        let pad = String(repeating: "  ", count: level + 1)
        output += "{\n"
        for (index, (key, member)) in members.enumerated() {
            output += pad
            JSONValue.writeEscaped(key, to: &output)
            output += ": "
            write(member, to: &output, level: level + 1)
            output += index < members.count - 1 ? ",\n" : "\n"
        }
        output += String(repeating: "  ", count: level) + "}"
    }
}

extension DriftBaseline.Feature {
    /// The feature's object in a baseline document.
    func jsonValue() -> JSONValue {
        var members: [(String, JSONValue)] = [("kind", .string(kind.rawValue))]
        if kind == .categorical {
            members.append(("counts", .object(counts.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })))
            members.append(("missing", .int(missing)))
            return .object(members)
        }
        members += [
            ("count", .int(count)),
            ("missing", .int(missing)),
            ("edges", .array(edges.map(JSONValue.number))),
            ("proportions", .array(proportions.map(JSONValue.number))),
        ]
        if let sample { members.append(("sample", .array(sample.map(JSONValue.number)))) }
        if let sketch { members.append(("sketch", sketch.jsonValue())) }
        return .object(members)
    }
}
