import Foundation
import SluiceCore
import Testing

/// The field reference in docs/manifests.md, the JSON Schema and the validator describe the same fields.
@Suite(.timeLimit(.minutes(10))) struct ReferenceConsistencyTests {
    /// The page that holds the generated manifest field reference.
    static func manifestsPage() throws -> String {
        try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("docs/manifests.md"), encoding: .utf8)
    }

    /// Field paths documented in the reference table of docs/manifests.md.
    static func documentedFieldPaths() throws -> [String] {
        let page = try manifestsPage()
        let start = try #require(page.range(of: "<!-- reference:start -->"))
        let end = try #require(page.range(of: "<!-- reference:end -->"))
        return page[start.upperBound..<end.lowerBound].split(separator: "\n").compactMap { line in
            guard line.hasPrefix("| `") else { return nil }
            let cell = line.dropFirst(3)
            return cell.firstIndex(of: "`").map { String(cell[..<$0]) }
        }
    }

    /// Field paths found by walking the generated JSON Schema (properties, $ref, items).
    static func schemaFieldPaths() throws -> [String] {
        let schema = try #require(
            try JSONSerialization.jsonObject(with: Data(JSONSchemaGenerator.schema().serialized().utf8)) as? [String: Any])
        let definitions = try #require(schema["$defs"] as? [String: [String: Any]])
        var paths: [String] = []
        func resolve(_ node: [String: Any]) -> [String: Any]? {
            if let reference = node["$ref"] as? String {
                return definitions[String(reference.dropFirst("#/$defs/".count))]
            }
            if let options = node["anyOf"] as? [[String: Any]] {
                return options.lazy.compactMap(resolve).first
            }
            return node["properties"] == nil ? nil : node
        }
        func walk(_ object: [String: Any], prefix: String) {
            guard let properties = object["properties"] as? [String: [String: Any]] else { return }
            for (name, property) in properties {
                let path = prefix.isEmpty ? name : prefix + "." + name
                paths.append(path)
                if let child = resolve(property) {
                    walk(child, prefix: path)
                } else if property["type"] as? String == "array", let items = property["items"] as? [String: Any],
                    let child = resolve(items)
                {
                    walk(child, prefix: path + "[]")
                }
            }
        }
        walk(schema, prefix: "")
        return paths
    }

    @Test func everyDocumentedFieldIsInTheSchemaAndBack() throws {
        let documented = Set(try Self.documentedFieldPaths())
        let generated = Set(try Self.schemaFieldPaths())
        #expect(documented.count > 40)
        #expect(documented.subtracting(generated).isEmpty, "in docs/manifests.md, not in schema: \(documented.subtracting(generated).sorted())")
        #expect(generated.subtracting(documented).isEmpty, "in schema, not in docs/manifests.md: \(generated.subtracting(documented).sorted())")
        #expect(Set(ManifestSchema.fieldPaths) == generated)
    }

    @Test func documentedTableIsTheGeneratedOne() throws {
        let page = try Self.manifestsPage()
        #expect(
            page.contains("<!-- reference:start -->\n" + ReferenceGenerator.markdown() + "<!-- reference:end -->"),
            "regenerate the table in docs/manifests.md with scripts/update-generated.sh")
    }

    @Test func everyObjectRefusesUnknownFields() throws {
        let schema = JSONSchemaGenerator.schema()
        guard case .object(let definitions)? = schema["$defs"] else { Issue.record("no $defs"); return }
        #expect(schema["additionalProperties"] == .bool(false))
        for (name, definition) in definitions {
            #expect(definition["additionalProperties"] == .bool(false), "\(name)")
        }
    }
}
