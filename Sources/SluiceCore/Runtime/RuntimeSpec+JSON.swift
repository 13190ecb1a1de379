/// One reason a runtime spec is refused: the field (`models[1].route.weights`) and what
/// is expected there.
public struct RuntimeSpecIssue: Sendable, Hashable, CustomStringConvertible {
    /// The path of the offending field.
    public var field: String
    /// What is wrong and what is expected.
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

/// A refused runtime spec: every issue found, not only the first.
public struct RuntimeSpecError: Error, Sendable, CustomStringConvertible {
    /// The issues, in document order.
    public var issues: [RuntimeSpecIssue]

    public init(issues: [RuntimeSpecIssue]) { self.issues = issues }

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

extension RuntimeSpec {
    /// Decodes and checks a runtime spec document. Unknown fields are refused (a typo
    /// must not silently drop a route), and every issue is reported at once.
    public static func decode(json bytes: [UInt8]) throws(RuntimeSpecError) -> RuntimeSpec {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw RuntimeSpecError(issues: [RuntimeSpecIssue(field: "", message: "not JSON: \(error)")])
        }
        return try decode(value: root)
    }

    /// Checks a runtime spec already parsed as JSON, as `decode(json:)` does.
    public static func decode(value root: JSONValue) throws(RuntimeSpecError) -> RuntimeSpec {
        var reader = RuntimeSpecReader()
        let spec = reader.spec(root)
        if let spec { reader.issues += RuntimeSpecRules.check(spec) }
        guard reader.issues.isEmpty, let spec else { throw RuntimeSpecError(issues: reader.issues) }
        return spec
    }

    /// The document as JSON, in the shape `decode` reads.
    public var jsonValue: JSONValue {
        var members: [(String, JSONValue)] = []
        if let revision { members.append(("revision", .string(revision))) }
        members.append(("models", .array(models.map(\.jsonValue))))
        return .object(members)
    }
}

extension ModelRuntime {
    var jsonValue: JSONValue {
        var members: [(String, JSONValue)] = [
            ("name", .string(name)),
            ("versions", .array(versions.map(\.jsonValue))),
            ("route", route.jsonValue),
        ]
        if let sketchInputs { members.append(("sketchInputs", .array(sketchInputs.map { .string($0) }))) }
        return .object(members)
    }
}

extension VersionRuntime {
    var jsonValue: JSONValue {
        var members: [(String, JSONValue)] = [("name", .string(name))]
        if let runtime { members.append(("runtime", .string(runtime))) }
        if let artifact { members.append(("artifact", .string(artifact))) }
        if let digest { members.append(("digest", .string(digest))) }
        if let endpoint { members.append(("endpoint", .string(endpoint))) }
        if let scaling { members.append(("scaling", scaling.jsonValue)) }
        return .object(members)
    }
}

extension Route {
    var jsonValue: JSONValue {
        .object([("weights", .object(weights.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) }))] + RoutingSummary(self).jsonMembers)
    }
}

extension RoutingSummary {
    /// The members a route's JSON has besides `weights` (absent ones left out): the
    /// `routing` object of the controller's status, and part of a runtime spec's route.
    public var jsonMembers: [(String, JSONValue)] {
        var members: [(String, JSONValue)] = []
        if !pins.isEmpty {
            members.append(("pins", .array(pins.map {
                .object([("header", .string($0.header)), ("value", .string($0.value)), ("version", .string($0.version))])
            })))
        }
        if let stickyHeader { members.append(("stickyHeader", .string(stickyHeader))) }
        if let mirror {
            var fields: [(String, JSONValue)] = [("version", .string(mirror.version)), ("percent", .number(mirror.percent))]
            if let pairing = mirror.pairing {
                fields.append(("pairing", .object([("tolerances", .array(pairing.tolerances.map { .number($0) }))])))
            }
            members.append(("mirror", .object(fields)))
        }
        return members
    }

    /// `{"pins": [...], "stickyHeader": "...", "mirror": {...}}`, absent members left out.
    public var jsonValue: JSONValue { .object(jsonMembers) }

    /// Reads the shape of ``jsonValue`` (a status answer's `routing`), refusing unknown fields.
    public init(json value: JSONValue) throws(RuntimeSpecError) {
        var reader = RuntimeSpecReader()
        let members = reader.object(value, at: "routing", allowed: ["pins", "stickyHeader", "mirror"])
        let summary = members.map { reader.routing($0, at: "routing") }
        guard reader.issues.isEmpty, let summary else { throw RuntimeSpecError(issues: reader.issues) }
        self = summary
    }
}

/// Reads the JSON shape of a runtime spec, collecting an issue per bad field.
private struct RuntimeSpecReader {
    var issues: [RuntimeSpecIssue] = []

    mutating func spec(_ value: JSONValue) -> RuntimeSpec? {
        guard let members = object(value, at: "", allowed: ["revision", "models"]) else { return nil }
        let revision = optionalString(members, "revision", at: "")
        guard let list = required(members, "models", at: "") else { return nil }
        guard case .array(let items) = list else {
            issue("models", "expected an array of models, found \(kind(list))")
            return nil
        }
        var models: [ModelRuntime] = []
        for (index, item) in items.enumerated() {
            if let decoded = model(item, at: "models[\(index)]") { models.append(decoded) }
        }
        return models.count == items.count ? RuntimeSpec(revision: revision, models: models) : nil
    }

    mutating func model(_ value: JSONValue, at path: String) -> ModelRuntime? {
        guard let members = object(value, at: path, allowed: ["name", "versions", "route", "sketchInputs"]) else { return nil }
        let name = requiredString(members, "name", at: path)
        var versions: [VersionRuntime]?
        if let list = required(members, "versions", at: path) {
            if case .array(let items) = list {
                var decoded: [VersionRuntime] = []
                for (index, item) in items.enumerated() {
                    if let one = version(item, at: "\(path).versions[\(index)]") { decoded.append(one) }
                }
                versions = decoded.count == items.count ? decoded : nil
            } else {
                issue("\(path).versions", "expected an array of versions, found \(kind(list))")
            }
        }
        var route: Route?
        if let value = required(members, "route", at: path) { route = self.route(value, at: "\(path).route") }
        var sketchInputs: [String]?
        if let list = members["sketchInputs"] {
            if case .array(let items) = list {
                var names: [String] = []
                for (index, item) in items.enumerated() {
                    if case .string(let text) = item { names.append(text) } else {
                        issue("\(path).sketchInputs[\(index)]", "expected a feature name (a string), found \(kind(item))")
                    }
                }
                sketchInputs = names
            } else if list != .null {
                issue("\(path).sketchInputs", "expected an array of feature names, found \(kind(list))")
            }
        }
        guard let name, let versions, let route else { return nil }
        return ModelRuntime(name: name, versions: versions, route: route, sketchInputs: sketchInputs)
    }

    mutating func version(_ value: JSONValue, at path: String) -> VersionRuntime? {
        guard let members = object(value, at: path, allowed: ["name", "runtime", "artifact", "digest", "endpoint", "scaling"]) else {
            return nil
        }
        guard let name = requiredString(members, "name", at: path) else { return nil }
        var scaling: ReplicaScaling?
        if let value = members["scaling"], value != .null {
            var reader = ReplicaScalingReader(path: "\(path).scaling")
            scaling = reader.scaling(value)
            issues += reader.issues.map { RuntimeSpecIssue(field: $0.field, message: $0.message) }
            if scaling == nil { return nil }
        }
        return VersionRuntime(
            name: name,
            runtime: optionalString(members, "runtime", at: path),
            artifact: optionalString(members, "artifact", at: path),
            digest: optionalString(members, "digest", at: path),
            endpoint: optionalString(members, "endpoint", at: path),
            scaling: scaling
        )
    }

    mutating func route(_ value: JSONValue, at path: String) -> Route? {
        guard let members = object(value, at: path, allowed: ["weights", "pins", "stickyHeader", "mirror"]) else {
            return nil
        }
        var weights: [String: Int]?
        if let table = required(members, "weights", at: path) {
            if case .object(let entries) = table {
                var decoded: [String: Int] = [:]
                for (version, weight) in entries {
                    if case .int(let percent) = weight {
                        decoded[version] = percent
                    } else {
                        issue("\(path).weights.\(version)", "expected a whole percent 0–100, found \(kind(weight))")
                    }
                }
                weights = decoded
            } else {
                issue("\(path).weights", "expected an object of version: percent, found \(kind(table))")
            }
        }
        let routing = routing(members, at: path)
        guard let weights else { return nil }
        return Route(weights: weights, pins: routing.pins, stickyHeader: routing.stickyHeader, mirror: routing.mirror)
    }

    /// The members of a route besides `weights`.
    mutating func routing(_ members: [String: JSONValue], at path: String) -> RoutingSummary {
        var pins: [Route.HeaderPin] = []
        if let list = members["pins"] {
            if case .array(let items) = list {
                for (index, item) in items.enumerated() {
                    let at = "\(path).pins[\(index)]"
                    guard let fields = object(item, at: at, allowed: ["header", "value", "version"]) else { continue }
                    if let header = requiredString(fields, "header", at: at),
                       let value = requiredString(fields, "value", at: at),
                       let version = requiredString(fields, "version", at: at) {
                        pins.append(Route.HeaderPin(header: header, value: value, version: version))
                    }
                }
            } else {
                issue("\(path).pins", "expected an array of {header, value, version}, found \(kind(list))")
            }
        }
        var mirror: Route.Mirror?
        if let value = members["mirror"] {
            let at = "\(path).mirror"
            if let fields = object(value, at: at, allowed: ["version", "percent", "pairing"]),
               let version = requiredString(fields, "version", at: at) {
                switch fields["percent"] {
                case .int(let percent)?: mirror = Route.Mirror(version: version, percent: Double(percent))
                case .number(let percent)?: mirror = Route.Mirror(version: version, percent: percent)
                case nil: issue("\(at).percent", "missing: expected a percent 0–100")
                case let other?: issue("\(at).percent", "expected a percent 0–100, found \(kind(other))")
                }
                if let pairing = fields["pairing"] { mirror?.pairing = self.pairing(pairing, at: "\(at).pairing") }
            }
        }
        let sticky = optionalString(members, "stickyHeader", at: path)
        return RoutingSummary(mirror: mirror, stickyHeader: sticky, pins: pins)
    }

    /// `{"tolerances": [0, 0.01]}`: finite, non-negative, at most
    /// ``Route/Mirror/Pairing/maximumTolerances``; kept sorted and distinct.
    mutating func pairing(_ value: JSONValue, at path: String) -> Route.Mirror.Pairing? {
        guard let fields = object(value, at: path, allowed: ["tolerances"]) else { return nil }
        var tolerances: [Double] = []
        switch fields["tolerances"] {
        case nil: break
        case .array(let items)?:
            for (index, item) in items.enumerated() {
                let tolerance: Double
                switch item {
                case .int(let whole): tolerance = Double(whole)
                case .number(let number): tolerance = number
                default:
                    issue("\(path).tolerances[\(index)]", "expected a number ≥ 0, found \(kind(item))")
                    continue
                }
                guard tolerance.isFinite, tolerance >= 0 else {
                    issue("\(path).tolerances[\(index)]", "expected a finite number ≥ 0")
                    continue
                }
                tolerances.append(tolerance)
            }
        case let other?: issue("\(path).tolerances", "expected an array of numbers ≥ 0, found \(kind(other))")
        }
        tolerances = Array(Set(tolerances)).sorted()
        guard tolerances.count <= Route.Mirror.Pairing.maximumTolerances else {
            issue("\(path).tolerances", "expected at most \(Route.Mirror.Pairing.maximumTolerances) distinct tolerances, found \(tolerances.count)")
            return nil
        }
        return Route.Mirror.Pairing(tolerances: tolerances)
    }

    // MARK: field helpers

    mutating func object(_ value: JSONValue, at path: String, allowed: [String]) -> [String: JSONValue]? {
        guard case .object(let entries) = value else {
            issue(path, "expected an object, found \(kind(value))")
            return nil
        }
        var members: [String: JSONValue] = [:]
        for (key, member) in entries {
            let field = path.isEmpty ? key : "\(path).\(key)"
            if members[key] != nil {
                issue(field, "appears twice")
            } else if !allowed.contains(key) {
                issue(field, "unknown field; expected one of \(allowed.joined(separator: ", "))")
            }
            members[key] = member
        }
        return members
    }

    mutating func required(_ members: [String: JSONValue], _ key: String, at path: String) -> JSONValue? {
        guard let value = members[key] else {
            issue(path.isEmpty ? key : "\(path).\(key)", "missing")
            return nil
        }
        return value
    }

    mutating func requiredString(_ members: [String: JSONValue], _ key: String, at path: String) -> String? {
        guard members[key] != nil else {
            issue(path.isEmpty ? key : "\(path).\(key)", "missing: expected a string")
            return nil
        }
        return optionalString(members, key, at: path)
    }

    mutating func optionalString(_ members: [String: JSONValue], _ key: String, at path: String) -> String? {
        switch members[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?:
            issue(path.isEmpty ? key : "\(path).\(key)", "expected a string, found \(kind(other))")
            return nil
        }
    }

    mutating func issue(_ field: String, _ message: String) {
        issues.append(RuntimeSpecIssue(field: field, message: message))
    }

    func kind(_ value: JSONValue) -> String { JSONValue.kindPhrase(value) }
}

extension JSONValue {
    /// What a value is, for an error that says what was found instead: `a string`, `null`.
    static func kindPhrase(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
