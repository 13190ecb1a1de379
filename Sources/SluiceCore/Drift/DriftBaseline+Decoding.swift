extension DriftBaseline {
    /// Parses and checks a baseline document; a syntax error carries its line and column.
    public init(bytes: [UInt8]) throws(DriftBaselineError) {
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw DriftBaselineError(syntax: error)
        }
        try self.init(json: json)
    }

    /// Checks a parsed baseline document. Errors name the field and what is expected there:
    /// `features.amount.proportions: 10 values for 10 edges; expected 11 (…)`.
    public init(json: JSONValue) throws(DriftBaselineError) {
        let root = try BaselineFields.members(json, "", allowed: ["apiVersion", "kind", "source", "rows", "features"])
        let version = try BaselineFields.string(json["apiVersion"], "apiVersion")
        guard version == Self.apiVersion else {
            throw DriftBaselineError(path: "apiVersion", message: "expected \"\(Self.apiVersion)\", found \"\(version)\"")
        }
        let kind = try BaselineFields.string(json["kind"], "kind")
        guard kind == Self.kind else {
            throw DriftBaselineError(path: "kind", message: "expected \"\(Self.kind)\", found \"\(kind)\"")
        }
        source = try json["source"].map { (value) throws(DriftBaselineError) in try BaselineFields.string(value, "source") }
        rows = try json["rows"].map { (value) throws(DriftBaselineError) in try BaselineFields.integer(value, "rows") }
        guard root.contains(where: { $0.0 == "features" }) else {
            throw DriftBaselineError(path: "features", message: "missing; expected an object of features by name")
        }
        let features = try BaselineFields.members(json["features"], "features", allowed: nil)
        guard !features.isEmpty else {
            throw DriftBaselineError(path: "features", message: "expected at least one feature")
        }
        var seen = Set<String>()
        entries = []
        for (name, value) in features {
            let path = BaselineFields.featurePath(name)
            guard seen.insert(name).inserted else {
                throw DriftBaselineError(path: path, message: "the feature appears twice")
            }
            entries.append(try Feature(name: name, json: value, path: path))
        }
    }
}

extension DriftBaseline.Feature {
    init(name: String, json: JSONValue, path: String) throws(DriftBaselineError) {
        _ = try BaselineFields.members(json, path, allowed: nil)
        let kind = try BaselineFields.string(json["kind"], "\(path).kind")
        switch kind {
        case "categorical":
            _ = try BaselineFields.members(json, path, allowed: ["kind", "counts", "missing"])
            var counts: [String: Int] = [:]
            for (category, value) in try BaselineFields.members(json["counts"], "\(path).counts", allowed: nil) {
                counts[category] = try BaselineFields.integer(value, "\(path).counts.\(category)")
            }
            // The feature's count is their sum, which must not trap (found by fuzzing).
            var total = 0
            for count in counts.values {
                let (sum, overflow) = total.addingReportingOverflow(count)
                guard !overflow, sum <= SketchJSON.maximumCount else {
                    throw DriftBaselineError(path: "\(path).counts", message: "the counts add up to more than \(SketchJSON.maximumCount); expected row counts")
                }
                total = sum
            }
            self.init(name: name, counts: counts, missing: try BaselineFields.missing(json, path))
        case "numeric":
            _ = try BaselineFields.members(json, path, allowed: ["kind", "count", "missing", "edges", "proportions", "sample", "sketch"])
            let count = try BaselineFields.integer(json["count"], "\(path).count")
            let edges = try BaselineFields.numbers(json["edges"], "\(path).edges")
            guard edges.count >= 2 else {
                throw DriftBaselineError(path: "\(path).edges", message: "\(edges.count) value\(edges.count == 1 ? "" : "s"); expected at least 2 (a constant feature repeats its value)")
            }
            for index in 1..<edges.count where edges[index] < edges[index - 1] {
                throw DriftBaselineError(path: "\(path).edges[\(index)]", message: "\(edges[index]) is below the edge before it (\(edges[index - 1])); expected ascending edges")
            }
            let proportions = try BaselineFields.numbers(json["proportions"], "\(path).proportions")
            guard proportions.count == edges.count + 1 else {
                throw DriftBaselineError(
                    path: "\(path).proportions",
                    message: "\(proportions.count) values for \(edges.count) edges; expected \(edges.count + 1) (underflow, one per bin between edges, overflow)")
            }
            for (index, proportion) in proportions.enumerated() where !(0...1).contains(proportion) {
                throw DriftBaselineError(path: "\(path).proportions[\(index)]", message: "\(proportion) is not a proportion; expected 0…1")
            }
            let sum = proportions.reduce(0, +)
            if count > 0, abs(sum - 1) > 1e-6 {
                throw DriftBaselineError(path: "\(path).proportions", message: "the values add up to \(sum); expected 1")
            }
            let sample = try json["sample"].map { (value) throws(DriftBaselineError) in try BaselineFields.numbers(value, "\(path).sample") }
            if let sample, sample.count > count {
                throw DriftBaselineError(path: "\(path).sample", message: "\(sample.count) values, more than count (\(count)); expected at most count")
            }
            let sketch = try json["sketch"].map { (value) throws(DriftBaselineError) in try BaselineFields.sketch(value, "\(path).sketch") }
            if let sketch, sketch.count != count {
                throw DriftBaselineError(path: "\(path).sketch", message: "summarizes \(sketch.count) values; expected count (\(count))")
            }
            self.init(name: name, count: count, missing: try BaselineFields.missing(json, path), edges: edges, proportions: proportions, sample: sample, sketch: sketch)
        default:
            throw DriftBaselineError(path: "\(path).kind", message: "expected \"numeric\" or \"categorical\", found \"\(kind)\"")
        }
    }
}

/// Readers for baseline fields: each names the field path and what was expected.
private enum BaselineFields {
    /// `features.amount`, or `features["a b"]` when the name is not a plain word.
    static func featurePath(_ name: String) -> String {
        let plain = !name.isEmpty && name.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
        if plain { return "features.\(name)" }
        var quoted = ""
        JSONValue.writeEscaped(name, to: &quoted)
        return "features[\(quoted)]"
    }

    /// An object's members; with `allowed`, any other key is an error (typos must not pass).
    static func members(_ value: JSONValue?, _ path: String, allowed: [String]?) throws(DriftBaselineError) -> [(String, JSONValue)] {
        guard case .object(let members)? = value else {
            if value == nil { throw DriftBaselineError(path: path, message: "missing; expected an object") }
            let expected = path.isEmpty ? "a baseline document (an object with apiVersion, kind and features)" : "an object"
            throw DriftBaselineError(path: path, message: "expected \(expected), found \(describe(value))")
        }
        if let allowed {
            for (key, _) in members where !allowed.contains(key) {
                var message = "unknown field '\(key)'"
                if let suggestion = Suggestion.closest(to: key, among: allowed) { message += "; did you mean '\(suggestion)'?" }
                message += " Expected: \(allowed.joined(separator: ", "))"
                throw DriftBaselineError(path: path.isEmpty ? key : "\(path).\(key)", message: message)
            }
        }
        return members
    }

    static func string(_ value: JSONValue?, _ path: String) throws(DriftBaselineError) -> String {
        guard case .string(let text)? = value else {
            throw DriftBaselineError(path: path, message: value == nil ? "missing; expected a string" : "expected a string, found \(describe(value))")
        }
        return text
    }

    static func integer(_ value: JSONValue?, _ path: String) throws(DriftBaselineError) -> Int {
        guard value != nil else { throw DriftBaselineError(path: path, message: "missing; expected an integer ≥ 0") }
        do {
            return try SketchJSON.integer(value, path, in: 0...Int.max)
        } catch {
            throw DriftBaselineError(path: path, message: "expected an integer ≥ 0, found \(describe(value))")
        }
    }

    static func missing(_ json: JSONValue, _ path: String) throws(DriftBaselineError) -> Int {
        try json["missing"].map { (value) throws(DriftBaselineError) in try integer(value, "\(path).missing") } ?? 0
    }

    static func numbers(_ value: JSONValue?, _ path: String) throws(DriftBaselineError) -> [Double] {
        guard case .array(let items)? = value else {
            throw DriftBaselineError(path: path, message: value == nil ? "missing; expected an array of numbers" : "expected an array of numbers, found \(describe(value))")
        }
        var numbers: [Double] = []
        numbers.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            do {
                numbers.append(try SketchJSON.number(item, "\(path)[\(index)]"))
            } catch {
                throw DriftBaselineError(path: "\(path)[\(index)]", message: "expected a finite number, found \(describe(item))")
            }
        }
        return numbers
    }

    static func sketch(_ value: JSONValue, _ path: String) throws(DriftBaselineError) -> QuantileSketch {
        do {
            return try QuantileSketch(json: value)
        } catch {
            let inner = error.path.isEmpty ? path : (error.path.hasPrefix("[") ? path + error.path : "\(path).\(error.path)")
            throw DriftBaselineError(path: inner, message: error.message)
        }
    }

    /// A short description of a JSON value for messages: `"abc"`, `12`, `an array`, ….
    static func describe(_ value: JSONValue?) -> String {
        guard let value else { return "nothing" }
        switch value {
        case .null, .bool, .int, .number, .string: return value.serialized()
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
