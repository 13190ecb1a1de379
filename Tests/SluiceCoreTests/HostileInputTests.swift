import SluiceCore
import Testing

/// Issue 11, items 2, 8 and 10 in the pure core: alias bombs that add up across documents and
/// files, floods of diagnostics, quoted lines of a megabyte, artifact names and template
/// values a shell would run.
@Suite(.timeLimit(.minutes(10))) struct HostileInputTests {
    /// One document whose `spec.versions` lists one mapping of `keys` unknown fields `copies`
    /// times: small on disk, `copies × (2 keys + 1)` nodes once aliases are expanded.
    static func bomb(_ index: Int, keys: Int, copies: Int) -> String {
        let fields = (0..<keys).map { "k\($0): 1" }.joined(separator: ", ")
        let aliases = Array(repeating: "*m", count: copies).joined(separator: ", ")
        return "apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata: {name: bomb-\(index)}\nx: &m {\(fields)}\nspec:\n  runtime: r\n  versions: [\(aliases)]\n"
    }

    static func limitMessages(_ file: ManifestFile) -> [String] {
        file.diagnostics.filter { $0.code == .limit }.map(\.message)
    }

    @Test func aSmallDocumentWhoseAliasesStandForAHundredThousandNodesIsRefused() {
        // 2.6 KB that used to stand for 96,000 nodes and give 48,000 diagnostics.
        let text = Self.bomb(0, keys: 300, copies: 160)
        let file = ManifestValidator().validate(bytes: Array(text.utf8), path: "bomb.yaml")
        #expect(file.diagnostics.count == 1, "\(file.diagnostics.prefix(3))")
        #expect(file.diagnostics.first?.code == .limit)
        #expect(file.diagnostics.first?.location.line == 7)
        #expect(file.diagnostics.first?.message.contains("beyond 10000") == true)
    }

    @Test func documentsEachUnderTheCapDoNotAddUpInOneFile() {
        // Ten documents of ~3,000 alias nodes: each fine alone, together over the file's budget.
        let text = (0..<10).map { Self.bomb($0, keys: 100, copies: 15) }.joined(separator: "---\n")
        let file = ManifestValidator().validate(bytes: Array(text.utf8), path: "docs.yaml")
        let limits = Self.limitMessages(file)
        #expect(limits.contains { $0.contains("beyond 10000 (over all its documents)") }, "\(limits)")
        // The budget stops composing in the fourth document: 3 × 3,015 nodes fit, a fourth does not.
        let stop = file.diagnostics.first { $0.message.contains("over all its documents") }
        #expect(stop?.location.line == 3 * 7 + 3 + 7, "\(String(describing: stop))")
        #expect(file.diagnostics.count <= YAMLLimits.default.maxDiagnosticsPerFile + 2)
    }

    @Test func filesEachUnderTheirBudgetDoNotAddUpInOneRead() {
        let validator = ManifestValidator()
        var budget = AliasBudget(limits: .default)
        // 40 files of ~9,000 alias nodes: five fit in the 50,000 of one read, the rest are refused.
        let files = (0..<40).map { index in
            validator.validate(
                validator.compose(bytes: Array(Self.bomb(index, keys: 150, copies: 30).utf8), path: "m/\(index).yaml"), budget: &budget)
        }
        let refused = files.filter { file in file.diagnostics.contains { $0.message.contains("one read may hold") } }
        #expect(refused.count == 35)
        #expect(refused.first?.path == "m/5.yaml")
        #expect(refused.first?.diagnostics.first?.location == SourceLocation(line: 7, column: 14), "points at the first alias")
        #expect(refused.allSatisfy { $0.entries.isEmpty && $0.diagnostics.count == 1 })
        // A file without aliases never spends the budget.
        #expect(budget.remaining < 9030)
        let plain = validator.validate(validator.compose(bytes: Array(Self.bomb(99, keys: 3, copies: 0).utf8), path: "p.yaml"), budget: &budget)
        #expect(!plain.diagnostics.contains { $0.message.contains("one read may hold") })
    }

    @Test func aFileWithThousandsOfErrorsListsTheCapAndCountsTheRest() {
        let text = "apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata:\n  name: errors\n"
            + (0..<5000).map { "u\($0): 1\n" }.joined()
        let file = ManifestValidator().validate(bytes: Array(text.utf8), path: "errors.yaml")
        let cap = YAMLLimits.default.maxDiagnosticsPerFile
        #expect(file.diagnostics.count == cap + 1)
        let last = file.diagnostics.last
        #expect(last?.code == .limit)
        #expect(last?.message.hasPrefix("… and \(5000 + 1 - cap) more problems in this file") == true, "\(String(describing: last))")
        #expect(!file.isValid)
    }

    @Test func aLongQuotedLineIsCapped() {
        let line = "  artifact: " + String(repeating: "x", count: 200_000) + "$"
        let report = ValidationReport(files: [
            ManifestFile(path: "m.yaml", entries: [], diagnostics: [
                Diagnostic(file: "m.yaml", location: SourceLocation(line: 1, column: 100_013), code: .invalidValue, message: "bad")
            ])
        ])
        let text = DiagnosticRenderer(format: .text) { _, _ in line }.render(report)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { $0.unicodeScalars.count <= DiagnosticRenderer.maxQuotedLine + 2 + 200 })
        #expect(lines[1].unicodeScalars.count <= DiagnosticRenderer.maxQuotedLine + 2)
        #expect(lines[1].hasPrefix("…") && lines[1].hasSuffix("…"))
        // The caret still points at the column: the excerpt is centred on it.
        #expect(lines[2].count - 1 == DiagnosticRenderer.maxQuotedLine / 2 + 1)
        let escape = DiagnosticRenderer(format: .text) { _, _ in "a\u{1B}[2Jb" }.render(report)
        #expect(!escape.contains("\u{1B}"))
        // A message quoting a key of 100,000 characters is cut too, as text and as an annotation.
        let longKey = ValidationReport(files: [
            ManifestFile(path: "m.yaml", entries: [], diagnostics: [
                Diagnostic(file: "m.yaml", location: SourceLocation(line: 1, column: 1), code: .unknownField,
                           message: "unknown field '\(String(repeating: "k", count: 100_000))'")
            ])
        ])
        for format in [OutputFormat.text, .github] {
            let rendered = DiagnosticRenderer(format: format).render(longKey)
            #expect(rendered.count < DiagnosticRenderer.maxMessage + 200, "\(format)")
        }
    }

    @Test func artifactPathsAreKeptToASafeCharacterSet() {
        for hostile in ["models/b$(touch PWNED).json", "models/a b.json", "m/`id`.json", "m/x;rm.json", "m/a|b", "m/-rf.json", "m/\"q\".json", "m/ü.json"] {
            let problem = PathRules.artifactProblem(hostile)
            #expect(problem != nil, "\(hostile)")
        }
        #expect(PathRules.artifactProblem("models/b$(touch PWNED).json")
            == "'models/b$(touch PWNED).json' contains '$'; artifact paths may hold only \(PathRules.pathCharacters)")
        #expect(PathRules.artifactProblem("s3://bucket/a$(id)")?.contains("contains '$'") == true)
        for fine in ["models/fraud-v2.1.json", "m/a_b+c.tar.gz", "s3://bucket/model", "https://host:443/a/b%20c", "hf://org/model@main"] {
            #expect(PathRules.artifactProblem(fine) == nil, "\(fine)")
        }
    }

    @Test func validateNamesTheFieldPositionAndAllowedSet() {
        let text = """
            apiVersion: sluice/v1
            kind: ModelDeployment
            metadata:
              name: evil
            spec:
              runtime: python-sh
              versions:
                - name: v1
                  artifact: "models/b$(touch PWNED).json"
              traffic: {v1: 100}

            """
        let file = ManifestValidator().validate(bytes: Array(text.utf8), path: "manifests/evil.yaml")
        #expect(file.diagnostics.count == 1)
        let diagnostic = file.diagnostics.first
        #expect(diagnostic?.location == SourceLocation(line: 9, column: 17))
        #expect(diagnostic?.fieldPath == "spec.versions[0].artifact")
        #expect(diagnostic?.message.contains("ASCII letters, digits, '.', '_', '-', '+' and '/'") == true)
    }

    @Test func templateValuesWithShellSyntaxAreRefusedAndFillingIsOnePass() {
        #expect(CommandTemplate.problem(.artifact, "/state/artifacts/0123abcd.json") == nil)
        #expect(CommandTemplate.problem(.version, "v2~canary") == nil)
        let refused = CommandTemplate.problem(.artifact, "/root/models/b$(touch PWNED).json")
        #expect(refused?.hasPrefix("the {artifact} value '/root/models/b$(touch PWNED).json' contains '$'") == true)
        for hostile in ["a b", "a;b", "a'b", "a\"b", "$(x)", "`x`", "a&b", "a|b", "a>b", "a*b", "a\nb", "-rf", "~root"] {
            #expect(CommandTemplate.problem(.model, hostile) != nil, "\(hostile)")
        }
        // A value holding a placeholder is not filled again.
        let filled = CommandTemplate.fill("serve {artifact} --name {model} {unknown}", with: [.artifact: "{model}", .model: "m"])
        #expect(filled == "serve {model} --name m {unknown}")
    }
}
