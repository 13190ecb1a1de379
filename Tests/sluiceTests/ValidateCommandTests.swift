import Foundation
import SluiceTestSupport
import Testing

/// `sluice validate` end to end: the real binary on real files.
@Suite struct ValidateCommandTests {
    @Test func exampleTreeIsValidAndExitsZero() throws {
        let result = try SluiceBinary.run(["validate", "manifests"], in: SluiceBinary.packageRoot)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout == "3 files, 3 models: valid\n")
    }

    @Test func quietPrintsNothingWhenValid() throws {
        let result = try SluiceBinary.run(["validate", "--quiet", "manifests"], in: SluiceBinary.packageRoot)
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
    }

    @Test func textFormatShowsPositionSourceLineAndCaret() throws {
        let tree = try ManifestTree()
        try tree.write("bad.yaml", manifest("fraud").replacingOccurrences(of: "runtime:", with: "runtme:"))
        let result = try SluiceBinary.run(["validate", "bad.yaml"], in: tree.url)
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "bad.yaml:6:3: error: unknown field 'runtme' in spec; did you mean 'runtime'? [unknown-field]")
        #expect(lines[1] == "  runtme: python-v2")
        #expect(lines[2] == "  ^")
        #expect(lines.count == 5)
        #expect(lines[3] == "1 error in 1 of 1 file")
    }

    @Test func everyErrorInEveryFileIsReportedInOneRun() throws {
        let tree = try ManifestTree()
        try tree.write("a/one.yaml", manifest("one").replacingOccurrences(of: "{v1: 100}", with: "{v1: 90}"))
        try tree.write("b/deeper/two.yml", manifest("Two"))
        try tree.write("c/three.yaml", manifest("three"))
        try tree.write("c/notes.txt", "not a manifest")
        try tree.write(".git/config.yaml", "this: [is not read")
        let result = try SluiceBinary.run(["validate", "--format", "json", "."], in: tree.url)
        #expect(result.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["valid"] as? Bool == false)
        #expect(json["files"] as? Int == 3)
        #expect(json["models"] as? Int == 3)
        let diagnostics = try #require(json["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.map { $0["file"] as? String } == ["a/one.yaml", "b/deeper/two.yml"])
        #expect(diagnostics[0]["code"] as? String == "inconsistent")
        #expect(diagnostics[0]["field"] as? String == "spec.traffic")
        #expect(diagnostics[0]["line"] as? Int == 10)
        #expect(diagnostics[1]["code"] as? String == "invalid-value")
        #expect(diagnostics[1]["field"] as? String == "metadata.name")
        #expect((diagnostics[1]["message"] as? String)?.contains("try 'two'") == true)
    }

    @Test func githubFormatEmitsWorkflowCommands() throws {
        let tree = try ManifestTree()
        try tree.write("m.yaml", manifest("m").replacingOccurrences(of: "name: m", with: "name: m\n  lables: {a: b}"))
        let result = try SluiceBinary.run(["validate", "--format", "github", "m.yaml"], in: tree.url)
        #expect(result.status == 1)
        #expect(
            result.stdout.hasPrefix(
                "::error file=m.yaml,line=5,col=3,title=sluice validate%3A unknown-field::unknown field 'lables' in metadata; did you mean 'labels'?\n"
            ), "\(result.stdout)")
    }

    @Test func aModelDeclaredInTwoFilesNamesTheFirst() throws {
        let tree = try ManifestTree()
        try tree.write("a.yaml", manifest("fraud"))
        try tree.write("b.yaml", manifest("fraud"))
        let result = try SluiceBinary.run(["validate", "."], in: tree.url)
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("b.yaml:4:9: error: model 'fraud' is already declared at a.yaml:4:9; each model is declared once [duplicate-model]"))
    }

    @Test func multiDocumentFilesAreRead() throws {
        let tree = try ManifestTree()
        try tree.write("all.yaml", manifest("one") + "---\n" + manifest("two") + "---\n")
        let result = try SluiceBinary.run(["validate", "all.yaml"], in: tree.url)
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout == "1 file, 2 models: valid\n")
    }

    @Test func missingPathIsAUsageError() throws {
        let tree = try ManifestTree()
        let result = try SluiceBinary.run(["validate", "nowhere"], in: tree.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("nowhere: No such file or directory"))
        #expect(result.stdout.isEmpty)
    }

    @Test func directoryWithoutManifestsIsAUsageError() throws {
        let tree = try ManifestTree()
        try tree.write("readme.md", "# nothing here")
        let result = try SluiceBinary.run(["validate", "."], in: tree.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("no *.yaml or *.yml files"))
    }

    @Test func unknownFormatIsAUsageError() throws {
        let result = try SluiceBinary.run(["validate", "--format", "xml", "manifests"], in: SluiceBinary.packageRoot)
        #expect(result.status == 64 || result.status == 2)
        #expect(result.stderr.contains("xml"))
    }

    @Test func billionLaughsIsRefusedWithALimitError() throws {
        let tree = try ManifestTree()
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ") + "]\n"
        }
        try tree.write("laughs.yaml", text)
        let result = try SluiceBinary.run(["validate", "--format", "json", "laughs.yaml"], in: tree.url)
        #expect(result.status == 1)
        #expect(result.stdout.contains("\"code\": \"limit-exceeded\""))
        #expect(result.stdout.contains("billion laughs"))
    }

    @Test func schemaCommandMatchesTheShippedSchema() throws {
        let result = try SluiceBinary.run(["schema"], in: SluiceBinary.packageRoot)
        #expect(result.status == 0)
        let shipped = try String(
            contentsOf: SluiceBinary.packageRoot.appendingPathComponent("manifests/modeldeployment.schema.json"), encoding: .utf8)
        #expect(result.stdout == shipped, "manifests/modeldeployment.schema.json is stale: regenerate it with `sluice schema`")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
    }
}

/// How paths are found: path lists, symbolic links.
@Suite struct PathDiscoveryTests {
    @Test func filesFromReadsAPathList() throws {
        let tree = try ManifestTree()
        try tree.write("a.yaml", manifest("a"))
        try tree.write("b.yaml", manifest("B"))
        try tree.write("list.txt", "a.yaml\nb.yaml\n\n")
        let result = try SluiceBinary.run(["validate", "--files-from", "list.txt"], in: tree.url)
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("b.yaml:4:9: error:"))
        #expect(result.stdout.hasSuffix("1 error in 1 of 2 files\n"))
        let missing = try SluiceBinary.run(["validate", "--files-from", "nolist.txt"], in: tree.url)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nolist.txt: cannot read the path list"))
    }

    @Test func linkedFilesAreReadAndLinkedDirectoriesAreNot() throws {
        let tree = try ManifestTree()
        try tree.write("real/a.yaml", manifest("a"))
        try tree.write("outside/b.yaml", manifest("b"))
        try FileManager.default.createSymbolicLink(
            atPath: tree.url.appendingPathComponent("real/link.yaml").path, withDestinationPath: "../outside/b.yaml")
        try FileManager.default.createSymbolicLink(
            atPath: tree.url.appendingPathComponent("real/loop").path, withDestinationPath: "..")
        let result = try SluiceBinary.run(["validate", "--format", "json", "real"], in: tree.url)
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("\"files\": 2"))
    }
}
