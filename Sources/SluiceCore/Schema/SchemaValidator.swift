/// Checks a composed YAML node against a ``SchemaType``: unknown fields (with suggestions),
/// wrong types, missing fields, formats, ranges, enumerations, uniqueness and field rules.
///
/// It reports every problem it finds and never stops at the first.
public struct SchemaValidator {
    /// The file diagnostics are reported against.
    public let file: String
    /// What was found, in the order it was found (at most ``limit``).
    public private(set) var diagnostics: [Diagnostic] = []
    /// Most diagnostics kept; problems beyond it are counted in ``suppressed``, so that a file
    /// of thousands of errors costs little more than a valid one.
    public var limit: Int
    /// Problems found past ``limit`` (all errors).
    public private(set) var suppressed = 0

    /// Creates a validator for one file.
    public init(file: String, limit: Int = .max) {
        self.file = file
        self.limit = limit
    }

    /// Validates `node` as an object; `owner` is where a missing field is reported.
    public mutating func validate(_ node: YAMLNode, as object: ObjectSchema, path: String, owner: SourceLocation) {
        guard let entries = node.entries else {
            if case .scalar(let scalar) = node.content, scalar.value == .null, object.fields.allSatisfy({ !$0.required }) {
                return  // `approval:` written without `{}` is an empty object.
            }
            report(node.location, .wrongType, path, "expected \(SchemaType.object(object).expectation); found \(node.kindDescription)")
            return
        }
        var present: [String: YAMLEntry] = [:]
        var suggested: Set<String> = []
        for entry in entries {
            guard let key = entry.key.scalar?.text else {
                report(entry.key.location, .wrongType, path, "field names must be strings; found \(entry.key.kindDescription)")
                continue
            }
            let fieldPath = join(path, key)
            guard let field = object.field(key) else {
                if isSaturated {
                    report(entry.key.location, .unknownField, fieldPath, "")
                    continue
                }
                var message = "unknown field '\(key)'" + (path.isEmpty ? "" : " in \(path)")
                if let suggestion = Suggestion.closest(to: key, among: object.fields.map(\.name)) {
                    suggested.insert(suggestion)
                    message += "; did you mean '\(suggestion)'?"
                } else if object.fields.isEmpty {
                    message += "; \(object.plural) take no fields"
                } else {
                    message += "; expected one of " + object.fields.map(\.name).joined(separator: ", ")
                }
                report(entry.key.location, .unknownField, fieldPath, message)
                continue
            }
            if entry.value.scalar?.value == .null, !isObject(field.type) {
                // A key with no value is usually a slip (a value lost, wrong indentation): say so.
                report(entry.value.location, .missingField, fieldPath, "'\(key)' has no value; expected \(field.type.expectation)")
                present[key] = entry
                continue
            }
            present[key] = entry
            validate(entry.value, as: field.type, path: fieldPath, owner: entry.key.location)
        }
        // A misspelt required field is reported once, as the misspelling with its suggestion.
        for field in object.fields where field.required && present[field.name] == nil && !suggested.contains(field.name) {
            report(owner, .missingField, join(path, field.name), "missing required field '\(field.name)'" + (path.isEmpty ? "" : " in \(path)"))
        }
        checkRelations(object, entries: entries, present: present, path: path, owner: owner)
    }

    private mutating func checkRelations(
        _ object: ObjectSchema, entries: [YAMLEntry], present: [String: YAMLEntry], path: String, owner: SourceLocation
    ) {
        let known = entries.compactMap { $0.key.scalar?.text }.filter(object.hasField)
        let unknownCount = entries.count - known.count
        if object.exactlyOneField, known.count > 1 || (known.isEmpty && unknownCount == 0) {
            let names = object.fields.map { "'\($0.name)'" }
            let choices = names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1] : names.joined()
            let location = known.count > 1 ? entries.last { object.hasField($0.key.scalar?.text ?? "") }!.key.location : owner
            report(location, .inconsistent, path, "a \(object.singular ?? object.name) has exactly one of \(choices); this one has \(known.isEmpty ? "none" : known.map { "'\($0)'" }.joined(separator: " and "))")
        }
        let applicable = object.rules.filter { rule in
            guard let selector = present[rule.field]?.value.scalar?.text else { return false }
            return rule.values.contains(selector)
        }
        // Fields a rule forbids here are not offered as the missing one (a pairwise check needs max or min, not a ratio).
        let forbidden = Set(applicable.flatMap(\.forbids))
        for group in object.requireAnyOf where !group.contains(where: { present[$0] != nil }) {
            let offered = group.filter { !forbidden.contains($0) }
            report(owner, .missingField, path, "\(path) needs at least one of " + (offered.isEmpty ? group : offered).joined(separator: ", "))
        }
        for group in object.exclusive {
            let given = entries.filter { group.contains($0.key.scalar?.text ?? "") }
            guard given.count > 1, let second = given.dropFirst().first, let name = second.key.scalar?.text else { continue }
            report(second.key.location, .inconsistent, join(path, name), "give " + group.joined(separator: " or ") + ", not both")
        }
        // A field another rule refuses selects nothing: `against: reference` on a prometheus
        // check is reported as not applying, not also as needing a `reference`.
        let refused = Set(applicable.flatMap(\.forbids).filter { present[$0] != nil })
        for rule in applicable where !refused.contains(rule.field) {
            guard let selector = present[rule.field]?.value.scalar?.text else { continue }
            if rule.refusesValue {
                report(
                    present[rule.field]!.value.location, .invalidValue, join(path, rule.field),
                    "\(rule.field) '\(selector)' does not apply to \(object.plural): \(rule.reason)")
            }
            for name in rule.requires where present[name] == nil {
                report(
                    present[rule.field]!.value.location, .missingField, join(path, name),
                    "\(rule.field) '\(selector)' requires '\(name)': \(rule.reason)")
            }
            for name in rule.forbids {
                guard let entry = present[name] else { continue }
                report(entry.key.location, .inconsistent, join(path, name), "'\(name)' does not apply to \(rule.field) '\(selector)': \(rule.reason)")
            }
        }
    }

    /// Validates `node` as any type.
    public mutating func validate(_ node: YAMLNode, as type: SchemaType, path: String, owner: SourceLocation) {
        switch type {
        case .object(let object):
            validate(node, as: object, path: path, owner: owner)
        case .list(let item, let minItems, let uniqueField):
            guard let items = node.items else {
                report(node.location, .wrongType, path, "expected \(type.expectation); found \(node.kindDescription)")
                return
            }
            if items.count < minItems {
                report(node.location, .invalidValue, path, "expected at least \(minItems) item\(minItems == 1 ? "" : "s"); the list is empty")
            }
            var seen: [String: SourceLocation] = [:]
            for (index, child) in items.enumerated() {
                let childPath = "\(path)[\(index)]"
                validate(child, as: item, path: childPath, owner: child.location)
                guard let uniqueField, let valueNode = child[uniqueField], let value = valueNode.scalar?.text else { continue }
                if let first = seen[value] {
                    report(
                        valueNode.location, .inconsistent, childPath + "." + uniqueField,
                        "duplicate \(uniqueField) '\(value)' in \(path) (first at line \(first.line))")
                } else {
                    seen[value] = valueNode.location
                }
            }
        case .map(let keyFormat, let valueType):
            guard let entries = node.entries else {
                report(node.location, .wrongType, path, "expected \(type.expectation); found \(node.kindDescription)")
                return
            }
            for entry in entries {
                guard let key = entry.key.scalar?.text else {
                    report(entry.key.location, .wrongType, path, "keys must be strings; found \(entry.key.kindDescription)")
                    continue
                }
                if let keyFormat, let problem = keyFormat.problem(in: key) {
                    report(entry.key.location, .invalidValue, join(path, key), "\(problem); expected \(keyFormat.expectation)")
                }
                validate(entry.value, as: valueType, path: join(path, key), owner: entry.key.location)
            }
        case .string, .enumeration, .constant:
            validateString(node, as: type, path: path)
        case .text(let format):
            validateText(node, format: format, path: path)
        case .boolean:
            guard case .scalar(let scalar) = node.content, case .bool = scalar.value else {
                report(node.location, .wrongType, path, "expected true or false; found \(node.kindDescription)")
                return
            }
        case .integer(let minimum, let maximum):
            guard case .scalar(let scalar) = node.content, case .int(let value) = scalar.value else {
                reportWrongNumber(node, type: type, path: path)
                return
            }
            if let minimum, value < minimum || (maximum.map { value > $0 } ?? false) {
                report(node.location, .invalidValue, path, "\(value) is out of range; expected \(type.expectation)")
            }
        case .number(let exclusiveMinimum, let minimum, let exclusiveMaximum):
            guard case .scalar(let scalar) = node.content, let value = scalar.value.number else {
                reportWrongNumber(node, type: type, path: path)
                return
            }
            let outOfRange =
                (exclusiveMinimum.map { value <= $0 } ?? false) || (minimum.map { value < $0 } ?? false)
                || (exclusiveMaximum.map { value >= $0 } ?? false)
            if !value.isFinite {
                report(node.location, .invalidValue, path, "expected a finite number; found \(scalar.text)")
            } else if outOfRange {
                report(node.location, .invalidValue, path, "\(scalar.text) is out of range; expected \(type.expectation)")
            }
        }
    }

    private mutating func validateString(_ node: YAMLNode, as type: SchemaType, path: String) {
        guard case .scalar(let scalar) = node.content, case .string(let text) = scalar.value else {
            var message = "expected \(type.expectation); found \(node.kindDescription)"
            if case .string(.duration) = type, case .int(let number)? = node.scalar?.value {
                message = "expected a duration with a unit, such as \(number)s or \(number)m; found the integer \(number)"
            } else if case .scalar(let scalar) = node.content, scalar.value != .null, accepts(type, scalar.text) {
                message += "; quote it (\"\(scalar.text)\") if a string is meant"
            }
            report(node.location, .wrongType, path, message)
            return
        }
        switch type {
        case .string(let format?):
            if let problem = format.problem(in: text) {
                let isPath = format == .artifact || format == .repositoryPath
                // Paths, durations and digests name their exact problem; names also get the rule.
                let explained = isPath || format == .duration || format == .digest || format == .timeZone
                var message = explained ? problem : "\(problem); expected \(format.expectation)"
                // "column 3" alone would read as the file's column: the schedule's field is named.
                if format == .cronSchedule { message = "\(path): \(problem)" }
                report(node.location, isPath ? .pathEscape : .invalidValue, path, message)
            }
        case .enumeration(let values) where !values.contains(text):
            var message = "'\(text)' is not one of " + values.joined(separator: ", ")
            if let suggestion = Suggestion.closest(to: text, among: values) { message += "; did you mean '\(suggestion)'?" }
            report(node.location, .invalidValue, path, message)
        case .constant(let expected) where text != expected:
            report(node.location, .invalidValue, path, "expected '\(expected)'; found '\(text)'")
        default:
            break
        }
    }

    /// Any scalar but null, read as its text, then checked against `format`.
    private mutating func validateText(_ node: YAMLNode, format: StringFormat?, path: String) {
        guard case .scalar(let scalar) = node.content, scalar.value != .null else {
            report(node.location, .wrongType, path, "expected \(SchemaType.text(format).expectation); found \(node.kindDescription)")
            return
        }
        guard let format else { return }
        if case .string = scalar.value {
            validateString(node, as: .string(format), path: path)
        } else if let problem = format.problem(in: scalar.text) {
            report(node.location, .invalidValue, path, "\(problem); expected \(format.expectation)")
        }
    }

    /// Whether `text`, quoted, would be a valid value of `type`: only then is quoting a fix worth suggesting.
    private func accepts(_ type: SchemaType, _ text: String) -> Bool {
        switch type {
        case .string(let format): return format?.problem(in: text) == nil
        case .enumeration(let values): return values.contains(text)
        case .constant(let value): return text == value
        default: return false
        }
    }

    /// A number was expected; a quoted number gets a hint to drop the quotes.
    private mutating func reportWrongNumber(_ node: YAMLNode, type: SchemaType, path: String) {
        var message = "expected \(type.expectation); found \(node.kindDescription)"
        if let scalar = node.scalar, scalar.style != .plain, YAMLValue.resolvePlain(scalar.text).number != nil {
            message += "; remove the quotes"
        }
        report(node.location, .wrongType, path, message)
    }

    private func isObject(_ type: SchemaType) -> Bool {
        if case .object = type { return true }
        return false
    }

    private func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// Records a diagnostic (an error unless `severity` says otherwise).
    public mutating func report(
        _ location: SourceLocation, _ code: DiagnosticCode, _ path: String, _ message: String, severity: Diagnostic.Severity = .error
    ) {
        guard diagnostics.count < limit else {
            // Past the cap only the count of errors is kept (a dropped warning changes no verdict).
            if severity == .error { suppressed += 1 }
            return
        }
        diagnostics.append(Diagnostic(file: file, location: location, severity: severity, code: code, fieldPath: path, message: message))
    }

    /// Whether further problems are only counted (see ``limit``).
    public var isSaturated: Bool { diagnostics.count >= limit }
}

extension YAMLValue {
    /// The value as a number, for ints and floats.
    public var number: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .float(let value): return value
        default: return nil
        }
    }
}
