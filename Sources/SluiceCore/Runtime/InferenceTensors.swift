/// One value of a model feature, as a drift monitor sees it.
public enum FeatureValue: Sendable, Hashable {
    /// A numeric value (integers are widened to `Double`).
    case number(Double)
    /// A categorical value: a string, a `BYTES` element, or a boolean as `"true"`/`"false"`.
    case category(String)
}

/// Reads the features of an Open Inference Protocol (KServe V2) request or response body.
///
/// Each tensor `{"name", "shape", "datatype", "data"}` of the `inputs` (request) or
/// `outputs` (response) member becomes one or more features:
/// - shape `[N]` or `[N, 1]`: one feature named after the tensor, with N values;
/// - shape `[N, F]` with F > 1: F features `name[0]` … `name[F-1]`, column `j` holding
///   the values at row-major positions `i * F + j`.
///
/// `data` may be flat or nested lists. Tensors that are malformed (missing name or shape,
/// a shape of another rank, a `data` whose element count does not match the shape, or
/// elements that are not scalars) are skipped: the reader never throws and never traps.
public enum InferenceTensors {
    /// The most values kept for one feature; further rows of a batch are ignored.
    public static let maximumValuesPerFeature = 1024

    /// Extracts features from `body`.
    /// - Parameters:
    ///   - body: a parsed V2 inference request or response.
    ///   - member: `"inputs"` for a request, `"outputs"` for a response.
    ///   - limit: the most features returned in total; later tensors and columns are dropped.
    /// - Returns: features in tensor order, then column order.
    public static func features(
        in body: JSONValue,
        member: String = "inputs",
        limit: Int = 64
    ) -> [(name: String, values: [FeatureValue])] {
        guard limit > 0, case .array(let tensors)? = body[member] else { return [] }
        var features: [(name: String, values: [FeatureValue])] = []
        for tensor in tensors {
            let room = limit - features.count
            guard room > 0 else { break }
            Tensor(tensor)?.appendFeatures(to: &features, limit: room)
        }
        return features
    }

    /// A well-formed tabular tensor: its leading rows, flattened in row-major order.
    struct Tensor {
        let name: String
        /// Columns per row; 1 for shapes `[N]` and `[N, 1]`.
        let columns: Int
        /// Whether the tensor is one feature named after the tensor.
        let single: Bool
        /// The first `min(N, maximumValuesPerFeature)` rows.
        let values: [FeatureValue]

        init(name: String, columns: Int, single: Bool, values: [FeatureValue]) {
            self.name = name
            self.columns = columns
            self.single = single
            self.values = values
        }

        init?(_ json: JSONValue) {
            guard case .string(let name)? = json["name"],
                case .array(let shape)? = json["shape"],
                let data = json["data"],
                let dimensions = Self.dimensions(shape),
                let layout = Self.layout(dimensions)
            else { return nil }
            let (rows, columns, expected) = layout
            var bytes = false
            if case .string(let datatype)? = json["datatype"] { bytes = datatype == "BYTES" }

            var leaves = Leaves(keep: min(rows, InferenceTensors.maximumValuesPerFeature) * columns, bytes: bytes)
            guard leaves.walk(data, depth: 0), leaves.count == expected else { return nil }
            self.name = name
            self.columns = columns
            self.single = columns == 1
            self.values = leaves.kept
        }

        /// Rows, columns and element count of a shape `[N]` or `[N, F]` (F > 0); nil for
        /// any other rank, no columns, or a count that overflows.
        static func layout(_ dimensions: [Int]) -> (rows: Int, columns: Int, elements: Int)? {
            guard dimensions.count == 1 || dimensions.count == 2 else { return nil }
            return layout(rows: dimensions[0], columns: dimensions.count == 2 ? dimensions[1] : 1)
        }

        /// ``layout(_:)`` of a shape `[rows]` (`columns` 1) or `[rows, columns]`.
        static func layout(rows: Int, columns: Int) -> (rows: Int, columns: Int, elements: Int)? {
            guard columns > 0 else { return nil }
            let (elements, overflow) = rows.multipliedReportingOverflow(by: columns)
            return overflow ? nil : (rows, columns, elements)
        }

        /// The values of the first of ``features(limit:)``: all of them, or the first column's.
        var firstFeatureValues: [FeatureValue] {
            single ? values : stride(from: 0, to: values.count, by: columns).map { values[$0] }
        }

        func features(limit: Int) -> [(name: String, values: [FeatureValue])] {
            var features: [(name: String, values: [FeatureValue])] = []
            appendFeatures(to: &features, limit: limit)
            return features
        }

        /// Appends ``features(limit:)`` to `features` (no array of its own for the usual
        /// single feature).
        func appendFeatures(to features: inout [(name: String, values: [FeatureValue])], limit: Int) {
            guard limit > 0 else { return }
            if single { return features.append((name, values)) }
            for column in 0..<min(columns, limit) {
                let positions = stride(from: column, to: values.count, by: columns)
                features.append(("\(name)[\(column)]", positions.map { values[$0] }))
            }
        }

        /// The shape as non-negative integers, or nil when any dimension is not one.
        private static func dimensions(_ shape: [JSONValue]) -> [Int]? {
            var dimensions: [Int] = []
            for dimension in shape {
                switch dimension {
                case .int(let value) where value >= 0:
                    dimensions.append(value)
                case .number(let value) where value >= 0 && value < 1e15 && value == value.rounded():
                    dimensions.append(Int(value))
                default:
                    return nil
                }
            }
            return dimensions
        }
    }

    /// Counts the scalar leaves of nested lists and keeps the first few as feature values.
    struct Leaves {
        /// Deeper nesting than any tensor rank that is read here is malformed.
        static let maximumDepth = 16

        let keep: Int
        let bytes: Bool
        var kept: [FeatureValue] = []
        var count = 0

        /// The most values reserved before the walk: a hostile shape (`[1, 1000000000]` over a
        /// few values) must not reserve what its data does not hold.
        static let reservedAtMost = 64

        /// The one value kept when `keep` is 1 and the leaves were made to keep it inline.
        var single: FeatureValue?
        private let inline: Bool

        init(keep: Int, bytes: Bool) {
            self.keep = keep
            self.bytes = bytes
            inline = false
            // Room for the usual few values at once: grown one append at a time, the first
            // value cost ~350 instructions of every remembered answer (reserved, ~290).
            kept.reserveCapacity(min(keep, Self.reservedAtMost))
        }

        /// Leaves that keep their first value in ``single``, with no array.
        init(keepingOneOf bytes: Bool) {
            keep = 1
            self.bytes = bytes
            inline = true
        }

        mutating func keepValue(_ value: FeatureValue) {
            if inline { single = value } else { kept.append(value) }
        }

        /// Visits `value`; false when it holds anything but lists and scalars.
        mutating func walk(_ value: JSONValue, depth: Int) -> Bool {
            switch value {
            case .array(let items):
                guard depth < Self.maximumDepth else { return false }
                for item in items {
                    guard walk(item, depth: depth + 1) else { return false }
                }
                return true
            case .null, .object:
                return false
            case .bool, .int, .number, .string:
                if count < keep, let feature = feature(value) { keepValue(feature) }
                count += 1
                return true
            }
        }

        private func feature(_ value: JSONValue) -> FeatureValue? {
            switch value {
            case .bool(let flag): return .category(flag ? "true" : "false")
            case .string(let text): return .category(text)
            case .int(let number): return bytes ? .category(String(number)) : .number(Double(number))
            case .number(let number): return bytes ? .category(String(number)) : .number(number)
            case .null, .array, .object: return nil
            }
        }
    }
}
