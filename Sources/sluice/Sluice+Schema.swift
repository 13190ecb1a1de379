import ArgumentParser
import SluiceCore

extension Sluice {
    /// `sluice schema`: prints the JSON Schema of the manifest format, or its reference table.
    struct Schema: ParsableCommand {
        /// What `sluice schema` prints.
        enum Format: String, ExpressibleByArgument, CaseIterable {
            case json, markdown
        }

        static let configuration = CommandConfiguration(
            abstract: "Print the JSON Schema (draft 2020-12) of the ModelDeployment format.",
            discussion: """
                The schema is generated from the definitions the validator uses. Point editors at it with \
                a first line `# yaml-language-server: $schema=<path or URL of the schema>`. \
                `--format markdown` prints the field reference table instead.
                """
        )

        @Option(help: "json (the JSON Schema) or markdown (the field reference table).")
        var format: Format = .json

        func run() throws {
            switch format {
            case .json: print(JSONSchemaGenerator.schema().serialized(indent: 2))
            case .markdown: print(ReferenceGenerator.markdown(), terminator: "")
            }
        }
    }
}
