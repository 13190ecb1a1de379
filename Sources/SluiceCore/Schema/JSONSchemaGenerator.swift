/// Generates the JSON Schema (draft 2020-12) of the manifest format from ``ManifestSchema``.
///
/// Editors use it through yaml-language-server; CI tools such as check-jsonschema can use it
/// too. Rules only the semantic pass can check (weights summing to 100, rising step weights,
/// threshold ranges per metric) are stated in descriptions.
public enum JSONSchemaGenerator {
    /// The schema's `$id`.
    public static let id = "https://sluice.dev/schemas/v1/modeldeployment.json"

    /// The whole schema document.
    public static func schema() -> JSONValue {
        schema(
            of: ManifestSchema.document, definitions: Array(ManifestSchema.objects.dropFirst()), id: id,
            title: "Sluice \(ManifestSchema.kind) (\(ManifestSchema.apiVersion))")
    }

    /// The schema of any document described by an ``ObjectSchema`` (the operator's
    /// `sluice.yaml` too); `definitions` become `$defs` (by default every object below the root).
    public static func schema(of document: ObjectSchema, definitions: [ObjectSchema]? = nil, id: String, title: String) -> JSONValue {
        var root: [(String, JSONValue)] = [
            ("$schema", .string("https://json-schema.org/draft/2020-12/schema")),
            ("$id", .string(id)),
            ("title", .string(title)),
        ]
        if case .object(let members) = objectSchema(document) {
            root += members
        }
        let objects = definitions ?? document.descendants
        root.append(("$defs", .object(objects.map { ($0.name, objectSchema($0)) })))
        return .object(root)
    }

    static func objectSchema(_ object: ObjectSchema) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("type", .string("object")),
            ("description", .string(object.description)),
            ("additionalProperties", .bool(false)),
        ]
        members.append(("properties", .object(object.fields.map { ($0.name, fieldSchema($0)) })))
        let required = object.fields.filter(\.required).map { JSONValue.string($0.name) }
        if !required.isEmpty { members.append(("required", .array(required))) }
        if object.exactlyOneField {
            members.append(("minProperties", .int(1)))
            members.append(("maxProperties", .int(1)))
        }
        var all: [JSONValue] = object.requireAnyOf.map { group in
            .object([("anyOf", .array(group.map { .object([("required", .array([.string($0)]))]) }))])
        }
        for rule in object.rules {
            var then: [(String, JSONValue)] = []
            if !rule.requires.isEmpty { then.append(("required", .array(rule.requires.map(JSONValue.string)))) }
            if !rule.forbids.isEmpty {
                then.append(("not", .object([("anyOf", .array(rule.forbids.map { .object([("required", .array([.string($0)]))]) }))])))
            }
            all.append(
                .object([
                    ("if", .object([
                        ("properties", .object([(rule.field, .object([("enum", .array(rule.values.map(JSONValue.string)))]))])),
                        ("required", .array([.string(rule.field)])),
                    ])),
                    ("then", rule.refusesValue ? .bool(false) : .object(then)),
                ]))
        }
        for group in object.exclusive {
            for (index, first) in group.enumerated() {
                for second in group.dropFirst(index + 1) {
                    all.append(.object([("not", .object([("required", .array([.string(first), .string(second)]))]))]))
                }
            }
        }
        if !all.isEmpty { members.append(("allOf", .array(all))) }
        return .object(members)
    }

    static func fieldSchema(_ field: FieldSchema) -> JSONValue {
        var description = field.description
        if let defaultValue = field.defaultValue { description += " Default: \(defaultValue)." }
        if case .object(let object) = field.type, object.fields.allSatisfy({ !$0.required }) {
            // Written with no value (`approval:`), such an object counts as empty.
            return .object([
                ("description", .string(description)),
                ("anyOf", .array([.object(typeSchema(field.type)), .object([("type", .string("null"))])])),
            ])
        }
        var members = typeSchema(field.type)
        // An object's own description says what it is; the field's says what it is for.
        members.removeAll { $0.0 == "description" }
        members.insert(("description", .string(description)), at: 0)
        return .object(members)
    }

    static func typeSchema(_ type: SchemaType) -> [(String, JSONValue)] {
        switch type {
        case .string(let format):
            guard let format else { return [("type", .string("string"))] }
            var members: [(String, JSONValue)] = [("type", .string("string")), ("pattern", .string(format.pattern))]
            if format == .dnsLabel || format == .versionName { members.append(("maxLength", .int(63))) }
            return members
        case .text(let format):
            // Numbers and booleans are read as their text (`--workers: 2`).
            var members: [(String, JSONValue)] = [("type", .array([.string("string"), .string("number"), .string("boolean")]))]
            if let format { members.append(("pattern", .string(format.pattern))) }
            return members
        case .boolean:
            return [("type", .string("boolean"))]
        case .enumeration(let values):
            return [("type", .string("string")), ("enum", .array(values.map(JSONValue.string)))]
        case .constant(let value):
            return [("const", .string(value))]
        case .integer(let minimum, let maximum):
            var members: [(String, JSONValue)] = [("type", .string("integer"))]
            if let minimum { members.append(("minimum", .int(minimum))) }
            if let maximum { members.append(("maximum", .int(maximum))) }
            return members
        case .number(let exclusiveMinimum, let minimum, let exclusiveMaximum):
            var members: [(String, JSONValue)] = [("type", .string("number"))]
            if let exclusiveMinimum { members.append(("exclusiveMinimum", .number(exclusiveMinimum))) }
            if let minimum { members.append(("minimum", .number(minimum))) }
            if let exclusiveMaximum { members.append(("exclusiveMaximum", .number(exclusiveMaximum))) }
            return members
        case .list(let item, let minItems, _):
            var members: [(String, JSONValue)] = [("type", .string("array")), ("items", .object(typeSchema(item)))]
            if minItems > 0 { members.append(("minItems", .int(minItems))) }
            return members
        case .map(let keys, let values):
            var members: [(String, JSONValue)] = [("type", .string("object"))]
            if let keys { members.append(("propertyNames", .object([("pattern", .string(keys.pattern))]))) }
            members.append(("additionalProperties", .object(typeSchema(values))))
            return members
        case .object(let object):
            return [("$ref", .string("#/$defs/\(object.name)"))]
        }
    }
}
