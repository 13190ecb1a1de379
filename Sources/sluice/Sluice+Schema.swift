import ArgumentParser
import SluiceCore

extension Sluice {
    /// `sluice schema`: prints the JSON Schema of the manifest format.
    struct Schema: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the JSON Schema (draft 2020-12) of the ModelDeployment format.",
            discussion: """
                The schema is generated from the definitions the validator uses. Point editors at it with \
                a first line `# yaml-language-server: $schema=<path or URL of the schema>`.
                """
        )

        func run() throws {
            print(JSONSchemaGenerator.schema().serialized(indent: 2))
        }
    }
}
