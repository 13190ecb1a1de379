/// The values of one feature with the usual single value held inline: what the prediction log
/// keeps of each answer. An array of one value cost an allocation when the answer was read and
/// a free, of memory by then long cold, when the log forgot it 100,000 answers later
/// (Benchmarks/README.md, "Hot path, slice 58").
public enum FeatureValueList: Sendable, Hashable {
    case one(FeatureValue)
    /// None, or more than one.
    case many([FeatureValue])

    /// The list of `values`, inline when there is exactly one.
    public init(_ values: [FeatureValue]) {
        self = values.count == 1 ? .one(values[0]) : .many(values)
    }

    public var count: Int {
        switch self {
        case .one: 1
        case .many(let values): values.count
        }
    }

    /// The values as an array (made on each call for a single value).
    public var values: [FeatureValue] {
        switch self {
        case .one(let value): [value]
        case .many(let values): values
        }
    }
}
