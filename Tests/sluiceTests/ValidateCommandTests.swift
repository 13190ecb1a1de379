import Foundation
import SluiceTestSupport
import Testing

/// `sluice validate` end to end: the real binary on real files.
@Suite(.timeLimit(.minutes(10))) struct ValidateCommandTests {
    @Test func exampleTreeIsValidAndExitsZero() async throws {
        let result = try await SluiceBinary.run(["validate", "manifests"], in: SluiceBinary.packageRoot)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout == "3 files, 3 models: valid\n")
    }

    @Test func quietPrintsNothingWhenValid() async throws {
        let result = try await SluiceBinary.run(["validate", "--quiet", "manifests"], in: SluiceBinary.packageRoot)
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
    }

    @Test func textFormatShowsPositionSourceLineAndCaret() async throws {
        let tree = try ManifestTree()
        try tree.write("bad.yaml", manifest("fraud").replacingOccurrences(of: "runtime:", with: "runtme:"))
        let result = try await SluiceBinary.run(["validate", "bad.yaml"], in: tree.url)
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "bad.yaml:6:3: error: unknown field 'runtme' in spec; did you mean 'runtime'? [unknown-field]")
        #expect(lines[1] == "  runtme: python-v2")
        #expect(lines[2] == "  ^")
        #expect(lines.count == 5)
        #expect(lines[3] == "1 error in 1 of 1 file")
    }

    @Test func everyErrorInEveryFileIsReportedInOneRun() async throws {
        let tree = try ManifestTree()
        try tree.write("a/one.yaml", manifest("one").replacingOccurrences(of: "{v1: 100}", with: "{v1: 90}"))
        try tree.write("b/deeper/two.yml", manifest("Two"))
        try tree.write("c/three.yaml", manifest("three"))
        try tree.write("c/notes.txt", "not a manifest")
        try tree.write(".git/config.yaml", "this: [is not read")
        let result = try await SluiceBinary.run(["validate", "--format", "json", "."], in: tree.url)
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

    @Test func githubFormatEmitsWorkflowCommands() async throws {
        let tree = try ManifestTree()
        try tree.write("m.yaml", manifest("m").replacingOccurrences(of: "name: m", with: "name: m\n  lables: {a: b}"))
        let result = try await SluiceBinary.run(["validate", "--format", "github", "m.yaml"], in: tree.url)
        #expect(result.status == 1)
        #expect(
            result.stdout.hasPrefix(
                "::error file=m.yaml,line=5,col=3,title=sluice validate%3A unknown-field::unknown field 'lables' in metadata; did you mean 'labels'?\n"
            ), "\(result.stdout)")
    }

    @Test func aModelDeclaredInTwoFilesNamesTheFirst() async throws {
        let tree = try ManifestTree()
        try tree.write("a.yaml", manifest("fraud"))
        try tree.write("b.yaml", manifest("fraud"))
        let result = try await SluiceBinary.run(["validate", "."], in: tree.url)
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("b.yaml:4:9: error: model 'fraud' is already declared at a.yaml:4:9; each model is declared once [duplicate-model]"))
    }

    @Test func multiDocumentFilesAreRead() async throws {
        let tree = try ManifestTree()
        try tree.write("all.yaml", manifest("one") + "---\n" + manifest("two") + "---\n")
        let result = try await SluiceBinary.run(["validate", "all.yaml"], in: tree.url)
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout == "1 file, 2 models: valid\n")
    }

    @Test func missingPathIsAUsageError() async throws {
        let tree = try ManifestTree()
        let result = try await SluiceBinary.run(["validate", "nowhere"], in: tree.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("nowhere: No such file or directory"))
        #expect(result.stdout.isEmpty)
    }

    @Test func directoryWithoutManifestsIsAUsageError() async throws {
        let tree = try ManifestTree()
        try tree.write("readme.md", "# nothing here")
        let result = try await SluiceBinary.run(["validate", "."], in: tree.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("no *.yaml or *.yml files"))
    }

    @Test func unknownFormatIsAUsageError() async throws {
        let result = try await SluiceBinary.run(["validate", "--format", "xml", "manifests"], in: SluiceBinary.packageRoot)
        #expect(result.status == 64 || result.status == 2)
        #expect(result.stderr.contains("xml"))
    }

    @Test func billionLaughsIsRefusedWithALimitError() async throws {
        let tree = try ManifestTree()
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ") + "]\n"
        }
        try tree.write("laughs.yaml", text)
        let result = try await SluiceBinary.run(["validate", "--format", "json", "laughs.yaml"], in: tree.url)
        #expect(result.status == 1)
        #expect(result.stdout.contains("\"code\": \"limit-exceeded\""))
        #expect(result.stdout.contains("billion laughs"))
    }

    /// Issue 11, item 8: alias bombs in one document, across documents and across files.
    @Test func aliasBombsAreRefusedNamingTheFileAndLine() async throws {
        let tree = try ManifestTree()
        func bomb(_ index: Int, keys: Int, copies: Int) -> String {
            let fields = (0..<keys).map { "k\($0): 1" }.joined(separator: ", ")
            return "apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata: {name: bomb-\(index)}\nx: &m {\(fields)}\n"
                + "spec:\n  runtime: r\n  versions: [" + Array(repeating: "*m", count: copies).joined(separator: ", ") + "]\n"
        }
        try tree.write("one/doc.yaml", bomb(0, keys: 300, copies: 160))
        try tree.write("docs/all.yaml", (0..<40).map { bomb($0, keys: 300, copies: 160) }.joined(separator: "---\n"))
        for index in 0..<40 { try tree.write(String(format: "files/f%02d.yaml", index), bomb(index, keys: 150, copies: 30)) }
        for directory in ["one", "docs"] {
            let result = try await SluiceBinary.run(["validate", "--format", "github", directory], in: tree.url)
            #expect(result.status == 1)
            #expect(result.stdout.split(separator: "\n").count == 2, "\(result.stdout.prefix(2000))")
            #expect(result.stdout.contains("line=7,col="), "\(result.stdout)")
            #expect(result.stdout.contains("beyond 10000 (over all its documents)"), "\(result.stdout)")
        }
        let many = try await SluiceBinary.run(["validate", "--format", "json", "files"], in: tree.url)
        #expect(many.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(many.stdout.utf8)) as? [String: Any])
        let diagnostics = try #require(json["diagnostics"] as? [[String: Any]])
        let refused = diagnostics.filter { ($0["message"] as? String)?.contains("one read may hold") == true }
        #expect(refused.count == 35)
        #expect(refused.first?["file"] as? String == "files/f05.yaml")
        #expect(refused.first?["line"] as? Int == 7)
    }

    @Test func schemaCommandMatchesTheShippedSchema() async throws {
        let result = try await SluiceBinary.run(["schema"], in: SluiceBinary.packageRoot)
        #expect(result.status == 0)
        let shipped = try String(
            contentsOf: SluiceBinary.packageRoot.appendingPathComponent("manifests/modeldeployment.schema.json"), encoding: .utf8)
        #expect(result.stdout == shipped, "manifests/modeldeployment.schema.json is stale: regenerate it with `sluice schema`")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
    }
}

/// How paths are found: path lists, symbolic links.
@Suite(.timeLimit(.minutes(10))) struct PathDiscoveryTests {
    @Test func filesFromReadsAPathList() async throws {
        let tree = try ManifestTree()
        try tree.write("a.yaml", manifest("a"))
        try tree.write("b.yaml", manifest("B"))
        try tree.write("list.txt", "a.yaml\nb.yaml\n\n")
        let result = try await SluiceBinary.run(["validate", "--files-from", "list.txt"], in: tree.url)
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("b.yaml:4:9: error:"))
        #expect(result.stdout.hasSuffix("1 error in 1 of 2 files\n"))
        let missing = try await SluiceBinary.run(["validate", "--files-from", "nolist.txt"], in: tree.url)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nolist.txt: cannot read the path list"))
    }

    @Test func linkedFilesInsideTheRootAreReadAndLinkedDirectoriesAreNot() async throws {
        let tree = try ManifestTree()
        try tree.write("real/a.yaml", manifest("a"))
        try tree.write("real/shared/b.txt", manifest("b"))
        try FileManager.default.createSymbolicLink(
            atPath: tree.url.appendingPathComponent("real/link.yaml").path, withDestinationPath: "shared/b.txt")
        try FileManager.default.createSymbolicLink(
            atPath: tree.url.appendingPathComponent("real/loop").path, withDestinationPath: "..")
        let result = try await SluiceBinary.run(["validate", "--format", "json", "real"], in: tree.url)
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("\"files\": 2"))
        #expect(result.stdout.contains("\"models\": 2"))
    }

    /// Issue 11, item 10: CI runs `sluice validate` on pull requests; a committed link to a
    /// token file must not print the token, in any format, however the file is named.
    @Test func aLinkToASecretOutsideTheRootIsRefusedUnread() async throws {
        let tree = try ManifestTree()
        let secretText = "ghp_SECRETtoken1234567890"
        let secret = try tree.write("outside/token", secretText + "\n")
        try tree.write("repo/manifests/a.yaml", manifest("a"))
        try FileManager.default.createSymbolicLink(
            atPath: tree.url.appendingPathComponent("repo/manifests/t.yaml").path, withDestinationPath: secret.path)
        try tree.write("repo/list.txt", "manifests/t.yaml\n")
        let repo = tree.url.appendingPathComponent("repo")
        let runs: [[String]] = [
            ["validate", "manifests"], ["validate", "--format", "json", "manifests"], ["validate", "--format", "github", "manifests"],
            ["validate", "--format", "github", "manifests/t.yaml"], ["validate", "--files-from", "list.txt"],
            ["validate", "--format", "github", "."],
        ]
        for arguments in runs {
            let result = try await SluiceBinary.run(arguments, in: repo)
            #expect(result.status == 1, "\(arguments): \(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("manifests/t.yaml"), "\(arguments): \(result.stdout)")
            #expect(result.stdout.contains("resolves outside"), "\(arguments): \(result.stdout)")
            #expect(!result.stdout.contains("ghp_") && !result.stderr.contains("ghp_"), "\(arguments) printed the secret")
            #expect(!result.stdout.contains(secret.path), "\(arguments) printed where the link leads")
        }
        let github = try await SluiceBinary.run(["validate", "--format", "github", "manifests"], in: repo)
        #expect(github.stdout.hasPrefix("::error file=manifests/t.yaml,line=1,col=1,title=sluice validate%3A path-escape::"), "\(github.stdout)")
        // A directory link out of the root is not followed either.
        try FileManager.default.createSymbolicLink(
            atPath: repo.appendingPathComponent("manifests/out").path, withDestinationPath: tree.url.appendingPathComponent("outside").path)
        let linked = try await SluiceBinary.run(["validate", "manifests/out/token"], in: repo)
        #expect(linked.status == 1)
        #expect(!linked.stdout.contains("ghp_") && !linked.stderr.contains("ghp_"))
    }

    @Test func aVeryLongLineIsQuotedCapped() async throws {
        let tree = try ManifestTree()
        let long = String(repeating: "x", count: 50_000)
        try tree.write("m.yaml", manifest("m").replacingOccurrences(of: "name: m", with: "name: m\n  lables: {a: b, z: \(long)}"))
        let result = try await SluiceBinary.run(["validate", "m.yaml"], in: tree.url)
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(lines.map { $0.prefix(200) })")
        #expect(lines[1].count <= 162 && lines[1].hasSuffix("…"), "\(lines[1].prefix(300))")
        #expect(lines[2] == "  ^")
    }
}
