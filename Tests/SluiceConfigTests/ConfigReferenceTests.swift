import Foundation
import SluiceConfig
import SluiceCore
import Testing

/// The committed JSON Schema of `sluice.yaml`, the reference table in docs/serve-config.md
/// and the reader describe the same fields.
@Suite(.timeLimit(.minutes(10))) struct ConfigReferenceTests {
    @Test func committedSchemaIsTheGeneratedOne() throws {
        let committed = try String(
            contentsOf: TestPaths.packageRoot.appendingPathComponent("schema/sluice-config.schema.json"), encoding: .utf8)
        #expect(committed == ConfigSchema.jsonSchema().serialized(indent: 2) + "\n", "run scripts/update-generated.sh")
    }

    @Test func docsTableIsTheGeneratedOne() throws {
        let docs = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("docs/serve-config.md"), encoding: .utf8)
        #expect(
            docs.contains("<!-- config-reference:start -->\n" + ConfigSchema.markdown() + "<!-- config-reference:end -->"),
            "run scripts/update-generated.sh")
    }

    @Test func everyObjectRefusesUnknownFields() throws {
        let schema = ConfigSchema.jsonSchema()
        guard case .object(let definitions)? = schema["$defs"] else {
            Issue.record("no $defs")
            return
        }
        #expect(schema["additionalProperties"] == .bool(false))
        #expect(definitions.count == 32)  // + NotificationTarget, NotificationDelivery, APIToken, GitSigning, ControllerVerify(GPG, SSH), ChangeWindow
        for (name, definition) in definitions {
            #expect(definition["additionalProperties"] == .bool(false), "\(name)")
        }
        // Editors see the exclusive pairs too: tokenEnv and tokenFile are never both allowed.
        let admin = definitions.first { $0.0 == "ServeAdmin" }?.1
        #expect(admin?["allOf"] == .array([.object([("not", .object([("required", .array([.string("tokenEnv"), .string("tokenFile")]))]))])]))
    }

    /// Every field the reference documents is accepted by the reader with a value of its
    /// type, and the example file (which names most of them) loads.
    @Test func theExampleLoadsAndEveryDocumentedSectionIsRead() throws {
        let example = try SluiceConfiguration.load(path: TestPaths.packageRoot.appendingPathComponent("examples/sluice.yaml").path)
        #expect(example.serve.runtimes["python-v2"]?.environment == ["PYTHONUNBUFFERED": "1"])
        #expect(try example.controller().path == "manifests")
        let rows = ConfigSchema.markdown().split(separator: "\n").filter { $0.hasPrefix("| `") }
        #expect(rows.count > 60)
        #expect(rows.contains { $0.hasPrefix("| `runtimes.<name>.command` | list of string |  | required unless `backend.kind` is `kubernetes` |") })
        #expect(rows.contains { $0.hasPrefix("| `backend.kind` | `local`, `kubernetes` | yes |") })
        #expect(rows.contains { $0.hasPrefix("| `runtimes.<name>.kubernetes.image` | string | yes |") })
    }
}
