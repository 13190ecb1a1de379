import Foundation
import Testing

/// The commands that read `sluice.yaml`, end to end: one reader, the same report and exit
/// code for each, and its schema printed by `sluice schema --config`.
@Suite(.timeLimit(.minutes(10))) struct ConfigCommandTests {
    /// A directory holding `text` as `sluice.yaml`.
    func directory(with text: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-config-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try text.write(to: directory.appendingPathComponent("sluice.yaml"), atomically: true, encoding: .utf8)
        return directory
    }

    @Test("serve, controller and up refuse an invalid file with exit 2, every problem positioned, before starting anything")
    func invalidConfigExitsTwo() async throws {
        let folder = try directory(with: "serve:\n  listen: localhost\nruntimes:\n  python:\n    env: {}\ncontroller:\n  repository: .\n  intervall: 5s\n")
        let problems = """
            sluice.yaml:2:11: serve.listen: expected HOST:PORT such as 127.0.0.1:8080, found 'localhost'
            sluice.yaml:4:3: runtimes.python.command: missing required field 'command' in runtimes.python
            sluice.yaml:8:3: controller.intervall: unknown field 'intervall' in controller; did you mean 'interval'?

            """
        for (command, prefix) in [("serve", "sluice serve"), ("controller", "sluice"), ("up", "sluice")] {
            let result = try await SluiceBinary.run([command, "--config", "sluice.yaml"], in: folder)
            #expect(result.status == 2, "\(command): \(result.stderr)")
            #expect(result.stderr == "\(prefix): invalid config\n" + problems, "\(command)")
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent(".sluice").path), "\(command) started")
        }
    }

    @Test("sluice controller without a controller section says what is missing")
    func noControllerSection() async throws {
        let folder = try directory(with: "serve: {}\n")
        let result = try await SluiceBinary.run(["controller", "--config", "sluice.yaml"], in: folder)
        #expect(result.status == 2)
        #expect(result.stderr == "sluice: invalid config\nsluice.yaml: no `controller:` section (it needs at least `repository:`)\n")
    }

    @Test("sluice schema --config prints the committed JSON Schema of sluice.yaml")
    func schema() async throws {
        let result = try await SluiceBinary.run(["schema", "--config"])
        #expect(result.status == 0)
        let committed = try String(
            contentsOf: SluiceBinary.packageRoot.appendingPathComponent("schema/sluice-config.schema.json"), encoding: .utf8)
        #expect(result.stdout == committed)
        let table = try await SluiceBinary.run(["schema", "--config", "--format", "markdown"])
        #expect(table.stdout.contains("| `controller.repository` | string | yes |"))
    }
}
