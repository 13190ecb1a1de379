/// Ground-truth labels joined to predictions over one span of time: enough to compute
/// accuracy (classification) and mean absolute error (regression), and label coverage.
public struct LabelTally: Sendable, Hashable {
    /// Predictions made (rows), whether or not a label ever arrives: the coverage denominator.
    public var predictions = 0
    /// Labels joined to a prediction.
    public var labeled = 0
    /// Labels equal to their prediction.
    public var matched = 0
    /// Labels that are numbers joined to numeric predictions (the MAE denominator).
    public var numericPairs = 0
    /// Σ |label − prediction| over numeric pairs.
    public var absoluteErrorSum = 0.0

    /// Creates an empty tally.
    public init() {}

    /// Share of labeled predictions that were right, 0…1; nil without labels.
    public var accuracy: Double? { labeled > 0 ? Double(matched) / Double(labeled) : nil }
    /// Mean absolute error; nil without numeric pairs.
    public var meanAbsoluteError: Double? { numericPairs > 0 ? absoluteErrorSum / Double(numericPairs) : nil }
    /// Share of predictions that received a label, 0…1; nil without predictions.
    public var coverage: Double? { predictions > 0 ? min(1, Double(labeled) / Double(predictions)) : nil }

    /// Joins one label to its prediction. Numbers compare numerically; a category compares
    /// with a number by its text (`"1"` equals `1`).
    public mutating func add(label: FeatureValue, prediction: FeatureValue) {
        labeled += 1
        switch (label, prediction) {
        case (.number(let truth), .number(let predicted)):
            numericPairs += 1
            absoluteErrorSum += abs(truth - predicted)
            if truth == predicted { matched += 1 }
        case (.category(let truth), .category(let predicted)):
            if truth == predicted { matched += 1 }
        case (.number(let number), .category(let text)), (.category(let text), .number(let number)):
            if Self.text(number) == text { matched += 1 }
        }
    }

    /// Adds another span's tally.
    public mutating func merge(_ other: LabelTally) {
        predictions += other.predictions
        labeled += other.labeled
        matched += other.matched
        numericPairs += other.numericPairs
        absoluteErrorSum += other.absoluteErrorSum
    }

    /// The JSON form.
    public func jsonValue() -> JSONValue {
        .object([
            ("predictions", .int(predictions)), ("labeled", .int(labeled)), ("matched", .int(matched)),
            ("numericPairs", .int(numericPairs)), ("absoluteErrorSum", .number(absoluteErrorSum)),
        ])
    }

    /// Reads the JSON form.
    public init(json: JSONValue, path: String) throws(SketchDecodingError) {
        func count(_ key: String) throws(SketchDecodingError) -> Int {
            guard case .int(let value)? = json[key], value >= 0 else {
                throw SketchDecodingError(path: "\(path).\(key)", message: "expected a count (an integer ≥ 0)")
            }
            return value
        }
        predictions = try count("predictions")
        labeled = try count("labeled")
        matched = try count("matched")
        numericPairs = try count("numericPairs")
        switch json["absoluteErrorSum"] {
        case .int(let value)?: absoluteErrorSum = Double(value)
        case .number(let value)? where value.isFinite && value >= 0: absoluteErrorSum = value
        default: throw SketchDecodingError(path: "\(path).absoluteErrorSum", message: "expected a finite number ≥ 0")
        }
        guard matched <= labeled, numericPairs <= labeled else {
            throw SketchDecodingError(path: path, message: "matched and numericPairs cannot exceed labeled")
        }
    }

    /// An integral number as an integer's text, anything else as Swift prints it.
    private static func text(_ number: Double) -> String {
        if number == number.rounded(), abs(number) < 1e15 { return String(Int(number)) }
        return String(number)
    }
}
