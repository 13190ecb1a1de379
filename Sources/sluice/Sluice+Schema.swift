import ArgumentParser
import SluiceConfig
import SluiceCore

extension Sluice {
    /// `sluice schema`: prints the JSON Schema of the manifest format (or, with `--config`, of
    /// the operator's `sluice.yaml`), or its reference table.
    struct Schema: ParsableCommand {
        /// What `sluice schema` prints.
        enum Format: String, ExpressibleByArgument, CaseIterable {
            case json, markdown
        }

        static let configuration = CommandConfiguration(
            commandName: "schema",
            abstract: "Print the JSON Schema (draft 2020-12) of the ModelDeployment format or of sluice.yaml.",
            discussion: """
                The schema is generated from the definitions the validator uses. Point editors at it with \
                a first line `# yaml-language-server: $schema=<path or URL of the schema>`. \
                `--format markdown` prints the field reference table instead. `--config` describes the \
                operator's sluice.yaml (schema/sluice-config.schema.json) instead of the manifest format.
                """
        )

        @Option(help: "json (the JSON Schema) or markdown (the field reference table).")
        var format: Format = .json

        @Flag(name: .customLong("config"), help: "Describe the operator's sluice.yaml instead of the manifest format.")
        var operatorConfig = false

        func run() throws {
            switch (format, operatorConfig) {
            case (.json, false): print(JSONSchemaGenerator.schema().serialized(indent: 2))
            case (.markdown, false): print(ReferenceGenerator.markdown(), terminator: "")
            case (.json, true): print(ConfigSchema.jsonSchema().serialized(indent: 2))
            case (.markdown, true): print(ConfigSchema.markdown(), terminator: "")
            }
        }
    }
}
