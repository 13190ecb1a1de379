/// One feature's distribution, as a reference or as current data.
///
/// Raw values and exact counts allow exact tests; sketches bound memory at the price of an
/// estimate whose error ``DriftComparator`` carries into the score; bins are what a
/// baseline keeps when it has no values.
public enum FeatureData: Sendable, Hashable {
    /// Raw values (NaN is ignored): exact tests are possible.
    case numericSample([Double])
    /// A quantile sketch: bounded memory, estimated ranks.
    case numericSketch(QuantileSketch)
    /// Bins without values: `proportions` has one entry per bin as `DriftStatistics.histogram`
    /// returns them (underflow, the `edges.count − 1` bins between edges, overflow), so
    /// `edges.count + 1` entries summing to 1, raw (no epsilon); `count` values were binned.
    case binned(edges: [Double], proportions: [Double], count: Int)
    /// Exact category counts.
    case categorical(counts: [String: Int])
    /// Estimated category counts from a frequent-items sketch.
    case categoricalSketch(FrequentItems)

    /// Whether data is numbers or categories.
    public enum Kind: String, Sendable, Hashable {
        case numeric, categorical
    }

    /// Numbers or categories.
    public var kind: Kind {
        switch self {
        case .numericSample, .numericSketch, .binned: return .numeric
        case .categorical, .categoricalSketch: return .categorical
        }
    }

    /// How many values the data summarizes.
    public var count: Int {
        switch self {
        case .numericSample(let values): return values.count - DriftStatistics.nanCount(values)
        case .numericSketch(let sketch): return sketch.count
        case .binned(_, _, let count): return count
        case .categorical(let counts): return counts.values.reduce(0, +)
        case .categoricalSketch(let items): return items.count
        }
    }

    /// Whether every answer from the data is exact (raw values, counts, or a sketch that
    /// has not yet compacted anything). Bins are exact for the bins they have.
    public var isExact: Bool {
        switch self {
        case .numericSample, .binned, .categorical: return true
        case .numericSketch(let sketch): return sketch.isExact
        case .categoricalSketch(let items): return items.isExact
        }
    }

    /// What the data is, for messages: "raw numeric values", "category counts", ….
    public var summary: String {
        switch self {
        case .numericSample: return "raw numeric values"
        case .numericSketch: return "a numeric quantile sketch"
        case .binned: return "numeric bins (edges and proportions, no values)"
        case .categorical: return "category counts"
        case .categoricalSketch: return "a frequent-items sketch of categories"
        }
    }
}
