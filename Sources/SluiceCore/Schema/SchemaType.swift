/// The shape of a manifest value. One definition (``ManifestSchema``) drives the validator,
/// the JSON Schema that `sluice schema` prints, and the field reference test (docs/manifests.md).
public indirect enum SchemaType: Sendable {
    /// A string, optionally constrained by a format.
    case string(StringFormat?)
    /// Any scalar read as its text: a string, or a number or boolean written without quotes
    /// (`[server, --workers, 2]` in the operator's config), optionally constrained by a format.
    case text(StringFormat?)
    /// `true` or `false`.
    case boolean
    /// One of a fixed set of strings.
    case enumeration([String])
    /// Exactly this string (apiVersion, kind).
    case constant(String)
    /// An integer within optional bounds (inclusive).
    case integer(minimum: Int?, maximum: Int?)
    /// A finite number; `exclusiveMinimum` is a strict lower bound, `minimum` an inclusive one
    /// and `exclusiveMaximum` a strict upper bound.
    case number(exclusiveMinimum: Double?, minimum: Double? = nil, exclusiveMaximum: Double? = nil)
    /// A list of items, with a minimum length and optionally a field whose value must be unique.
    case list(SchemaType, minItems: Int, uniqueField: String?)
    /// A mapping from keys (of a format, when given) to values of a type (labels, traffic, runtimes).
    case map(keys: StringFormat?, values: SchemaType)
    /// A mapping with named fields.
    case object(ObjectSchema)

    /// What the validator says is expected of a value of this type.
    public var expectation: String {
        switch self {
        case .string(let format), .text(let format): return format?.expectation ?? "a string"
        case .boolean: return "true or false"
        case .enumeration(let values): return "one of " + values.joined(separator: ", ")
        case .constant(let value): return "'\(value)'"
        case .integer(let minimum, let maximum):
            switch (minimum, maximum) {
            case let (low?, high?): return "an integer from \(low) to \(high)"
            case let (low?, nil): return "an integer of at least \(low)"
            default: return "an integer"
            }
        case .number(let exclusiveMinimum, let minimum, let exclusiveMaximum):
            var bounds: [String] = []
            if let exclusiveMinimum { bounds.append("greater than \(JSONValue.number(exclusiveMinimum).serialized())") }
            if let minimum { bounds.append("of at least \(JSONValue.number(minimum).serialized())") }
            if let exclusiveMaximum { bounds.append("less than \(JSONValue.number(exclusiveMaximum).serialized())") }
            return bounds.isEmpty ? "a number" : "a number " + bounds.joined(separator: " and ")
        case .list(let item, _, _): return "a list of \(item.shortName)"
        case .map(_, let values): return "a mapping of names to \(values.shortName)"
        case .object(let object): return "a mapping with the fields " + object.fields.map(\.name).joined(separator: ", ")
        }
    }

    /// A name for the type inside other sentences ("a list of steps").
    var shortName: String {
        switch self {
        case .string, .text, .constant, .enumeration: return "strings"
        case .boolean: return "booleans"
        case .integer: return "integers"
        case .number: return "numbers"
        case .list: return "lists"
        case .map: return "mappings"
        case .object(let object): return object.plural
        }
    }
}

/// A mapping with named fields and the rules that relate them.
public struct ObjectSchema: Sendable {
    /// The definition's name in the JSON Schema's `$defs` (`AnalysisCheck`).
    public var name: String
    /// A noun for messages ("analysis checks").
    public var plural: String
    /// What the object is, for documentation.
    public var description: String
    /// The fields, in the order the reference documents them.
    public let fields: [FieldSchema]
    /// When true, exactly one field must be present (a rollout step is a weight, a pause or an approval).
    public var exactlyOneField: Bool = false
    /// One such object in a sentence ("step"), for the message of ``exactlyOneField``.
    public var singular: String?
    /// Field groups of which at least one field must be present.
    public var requireAnyOf: [[String]] = []
    /// Conditional requirements, such as "a drift metric needs a test".
    public var rules: [FieldRule] = []
    /// Field groups of which at most one field may be present (`tokenEnv` or `tokenFile`).
    public var exclusive: [[String]] = []
    /// Field positions by name: validation looks up every key of every manifest here.
    private let positions: [String: Int]

    /// Creates an object definition.
    public init(
        name: String, plural: String, description: String, fields: [FieldSchema], exactlyOneField: Bool = false,
        requireAnyOf: [[String]] = [], rules: [FieldRule] = [], exclusive: [[String]] = [], singular: String? = nil
    ) {
        self.singular = singular
        self.name = name
        self.plural = plural
        self.description = description
        self.fields = fields
        self.exactlyOneField = exactlyOneField
        self.requireAnyOf = requireAnyOf
        self.rules = rules
        self.exclusive = exclusive
        self.positions = Dictionary(fields.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Whether a field named `name` exists.
    public func hasField(_ name: String) -> Bool { positions[name] != nil }

    /// The field named `name`.
    public func field(_ name: String) -> FieldSchema? { positions[name].map { fields[$0] } }
}

/// One field of an object.
public struct FieldSchema: Sendable {
    /// The key as written in YAML.
    public var name: String
    /// The value's type.
    public var type: SchemaType
    /// Whether the field must be present.
    public var required: Bool
    /// The default when absent, as documented (nil when there is none).
    public var defaultValue: String?
    /// What the field means.
    public var description: String

    /// Creates a field.
    public init(
        _ name: String, _ type: SchemaType, required: Bool = false, default defaultValue: String? = nil,
        _ description: String
    ) {
        self.name = name
        self.type = type
        self.required = required
        self.defaultValue = defaultValue
        self.description = description
    }
}

/// "When `field` is one of `values`, these fields are required and those are forbidden."
public struct FieldRule: Sendable {
    /// The field whose value selects the rule.
    public var field: String
    /// The values that make the rule apply.
    public var values: [String]
    /// Fields that must then be present.
    public var requires: [String]
    /// Fields that must then be absent.
    public var forbids: [String]
    /// Why, appended to the message.
    public var reason: String
    /// Whether the values themselves are refused here (a pairwise metric on a monitor), though
    /// the field's type accepts them elsewhere.
    public var refusesValue = false

    /// Creates a rule.
    public init(when field: String, in values: [String], requires: [String] = [], forbids: [String] = [], because reason: String) {
        self.field = field
        self.values = values
        self.requires = requires
        self.forbids = forbids
        self.reason = reason
    }

    /// "`field` may not be one of `values` in this object", with the reason in the message:
    /// `metric: agreement` on a monitor.
    public static func refusing(_ field: String, _ values: [String], because reason: String) -> FieldRule {
        var rule = FieldRule(when: field, in: values, because: reason)
        rule.refusesValue = true
        return rule
    }
}

extension ObjectSchema {
    /// Every object reachable from this one's fields (through lists and mappings), each once,
    /// in the order first met: the `$defs` of a generated JSON Schema.
    public var descendants: [ObjectSchema] {
        var found: [ObjectSchema] = []
        var names: Set<String> = [name]
        func visit(_ type: SchemaType) {
            switch type {
            case .object(let object):
                guard names.insert(object.name).inserted else { return }
                found.append(object)
                object.fields.forEach { visit($0.type) }
            case .list(let item, _, _): visit(item)
            case .map(_, let values): visit(values)
            default: break
            }
        }
        fields.forEach { visit($0.type) }
        return found
    }
}
