/// The distributions of a version's features over one span of time: a quantile sketch per
/// numeric feature and a frequent-items sketch per categorical one. Bounded: at most
/// `maximumFeatures` names, each sketch bounded by its own capacity.
///
/// A feature that receives both numbers and categories keeps both sketches; drift tests
/// use the one matching the reference.
public struct FeatureSketches: Sendable, Hashable {
    /// The most feature names kept; later names are ignored (counted in `droppedFeatures`).
    public static let maximumFeatures = 64

    /// Quantile sketches of numeric features, by name.
    public private(set) var numeric: [String: QuantileSketch] = [:]
    /// Frequent-items sketches of categorical features, by name.
    public private(set) var categorical: [String: FrequentItems] = [:]
    /// Values ignored because their feature arrived after `maximumFeatures` others.
    public private(set) var droppedValues = 0

    /// Creates empty sketches.
    public init() {}

    /// Every feature name, sorted.
    public var names: [String] { Set(numeric.keys).union(categorical.keys).sorted() }

    /// Whether nothing was recorded.
    public var isEmpty: Bool { numeric.isEmpty && categorical.isEmpty }

    /// Adds one request's (or response's) features.
    public mutating func insert(_ features: [(name: String, values: [FeatureValue])]) {
        for feature in features {
            var categories: [String] = []
            var numbers: [Double] = []
            numbers.reserveCapacity(feature.values.count)
            for value in feature.values {
                switch value {
                case .number(let number): numbers.append(number)
                case .category(let category): categories.append(category)
                }
            }
            if !numbers.isEmpty {
                if numeric[feature.name] != nil || admits(feature.name) {
                    numeric[feature.name, default: QuantileSketch()].insert(contentsOf: numbers)
                } else {
                    droppedValues += numbers.count
                }
            }
            if !categories.isEmpty {
                if categorical[feature.name] != nil || admits(feature.name) {
                    for category in categories { categorical[feature.name, default: FrequentItems()].insert(category) }
                } else {
                    droppedValues += categories.count
                }
            }
        }
    }

    /// Adds another span's sketches (the union of both spans' values).
    public mutating func merge(_ other: FeatureSketches) {
        for (name, sketch) in other.numeric {
            if numeric[name] != nil {
                numeric[name]!.merge(sketch)
            } else if admits(name) {
                numeric[name] = sketch
            } else {
                droppedValues += sketch.count
            }
        }
        for (name, sketch) in other.categorical {
            if categorical[name] != nil {
                categorical[name]!.merge(sketch)
            } else if admits(name) {
                categorical[name] = sketch
            } else {
                droppedValues += sketch.count
            }
        }
        droppedValues += other.droppedValues
    }

    /// The JSON form: `{"numeric": {name: sketch}, "categorical": {name: sketch}, "dropped": n}`.
    public func jsonValue() -> JSONValue {
        var members: [(String, JSONValue)] = []
        if !numeric.isEmpty {
            members.append(("numeric", .object(numeric.sorted { $0.key < $1.key }.map { ($0.key, $0.value.jsonValue()) })))
        }
        if !categorical.isEmpty {
            members.append(("categorical", .object(categorical.sorted { $0.key < $1.key }.map { ($0.key, $0.value.jsonValue()) })))
        }
        if droppedValues > 0 { members.append(("dropped", .int(droppedValues))) }
        return .object(members)
    }

    /// Reads the JSON form; `path` prefixes the field path of errors.
    public init(json: JSONValue, path: String) throws(SketchDecodingError) {
        guard case .object = json else { throw SketchDecodingError(path: path, message: "expected an object") }
        numeric = try Self.sketches(json["numeric"], path: path + ".numeric") { value throws(SketchDecodingError) in try QuantileSketch(json: value) }
        categorical = try Self.sketches(json["categorical"], path: path + ".categorical") { value throws(SketchDecodingError) in try FrequentItems(json: value) }
        guard Set(numeric.keys).union(categorical.keys).count <= Self.maximumFeatures else {
            throw SketchDecodingError(path: path, message: "more than \(Self.maximumFeatures) features")
        }
        if let dropped = json["dropped"] {
            guard case .int(let count) = dropped, count >= 0 else {
                throw SketchDecodingError(path: path + ".dropped", message: "expected a count")
            }
            droppedValues = count
        }
    }

    /// Reads `{name: sketch}`, naming the sketch's field in errors.
    private static func sketches<Sketch>(
        _ json: JSONValue?, path: String, _ decode: (JSONValue) throws(SketchDecodingError) -> Sketch
    ) throws(SketchDecodingError) -> [String: Sketch] {
        guard let json else { return [:] }
        guard case .object(let members) = json else { throw SketchDecodingError(path: path, message: "expected an object of sketches") }
        var sketches: [String: Sketch] = [:]
        for (name, value) in members {
            do {
                sketches[name] = try decode(value)
            } catch {
                throw SketchDecodingError(path: "\(path).\(name).\(error.path)", message: error.message)
            }
        }
        return sketches
    }

    private func admits(_ name: String) -> Bool {
        numeric[name] != nil || categorical[name] != nil
            || Set(numeric.keys).union(categorical.keys).count < Self.maximumFeatures
    }
}
