import Foundation
import SluiceCore
import Testing

/// The corpus of invalid manifests in Fixtures/invalid: each file starts with one
/// `# expect: LINE:COLUMN: CODE: MESSAGE` line per diagnostic, in the order the validator sorts
/// them, and must produce exactly those diagnostics. Inputs too large or too regular to keep as
/// files (size, depth and alias limits; models declared twice) are generated below.
@Suite(.timeLimit(.minutes(10))) struct InvalidCorpusTests {
    static let directory = TestPaths.packageRoot.appendingPathComponent("Tests/SluiceCoreTests/Fixtures/invalid")

    /// The fixture file names, listed when the tests run.
    static let fixtureNames: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted()

    /// One expected diagnostic, as an `# expect:` line states it.
    struct Expected: Equatable, CustomStringConvertible {
        var line: Int
        var column: Int
        var code: String
        var message: String

        var description: String { "# expect: \(line):\(column): \(code): \(message)" }

        init(line: Int, column: Int, code: String, message: String) {
            self.line = line
            self.column = column
            self.code = code
            self.message = message
        }

        init(_ diagnostic: Diagnostic) {
            self.init(
                line: diagnostic.location.line, column: diagnostic.location.column, code: diagnostic.code.rawValue,
                message: diagnostic.message)
        }

        /// Parses the text after `# expect: `; nil when it is not `LINE:COLUMN: CODE: MESSAGE`.
        init?(parsing text: Substring) {
            let parts = text.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count == 4, let line = Int(parts[0]), let column = Int(parts[1]),
                parts[2].hasPrefix(" "), parts[3].hasPrefix(" ")
            else { return nil }
            self.init(line: line, column: column, code: String(parts[2].dropFirst()), message: String(parts[3].dropFirst()))
        }
    }

    /// The `# expect:` lines at the top of a fixture.
    static func expectations(in text: String) throws -> [Expected] {
        let prefix = "# expect: "
        var expected: [Expected] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix(prefix) else { break }
            expected.append(try #require(Expected(parsing: line.dropFirst(prefix.count)), "malformed expectation: \(line)"))
        }
        return expected
    }

    static func validate(_ text: String, path: String = "generated.yaml", limits: YAMLLimits = .default) -> ManifestFile {
        ManifestValidator(limits: limits).validate(bytes: Array(text.utf8), path: path)
    }

    @Test func corpusHasAtLeast45Fixtures() {
        #expect(Self.fixtureNames.count >= 45, "found \(Self.fixtureNames.count) fixtures in \(Self.directory.path)")
    }

    @Test(arguments: fixtureNames)
    func fixtureProducesExactlyItsExpectedDiagnostics(name: String) throws {
        let data = try Data(contentsOf: Self.directory.appendingPathComponent(name))
        let expected = try Self.expectations(in: String(decoding: data, as: UTF8.self))
        #expect(!expected.isEmpty, "\(name) has no `# expect:` line; an invalid manifest must say what is wrong with it")
        let file = ManifestValidator().validate(bytes: [UInt8](data), path: name)
        let actual = file.diagnostics.map(Expected.init)
        // Printed on a mismatch, ready to paste; line numbers shift if the number of expect lines changes.
        let listing = actual.map(\.description).joined(separator: "\n")
        #expect(actual.count == expected.count, "\(name): \(actual.count) diagnostics, \(expected.count) expected; actual:\n\(listing)")
        for (index, (got, want)) in zip(actual, expected).enumerated() {
            #expect(got == want, "\(name): diagnostic \(index + 1) differs; actual:\n\(listing)")
        }
        #expect(file.diagnostics.allSatisfy { $0.file == name && $0.severity == .error })
        #expect(!file.isValid)
    }

    @Test func expectationLinesParse() throws {
        let expected = try Self.expectations(in: "# expect: 3:7: unknown-field: a: b: c\n# expect: 10:1: io: x\n# other\n# expect: 1:1: io: y\n")
        #expect(expected == [
            Expected(line: 3, column: 7, code: "unknown-field", message: "a: b: c"),
            Expected(line: 10, column: 1, code: "io", message: "x"),
        ])
    }

    @Test func validDocumentBeforeABadOneIsStillDecoded() throws {
        let name = try #require(Self.fixtureNames.first { $0.hasSuffix("multi-document-second-bad.yaml") })
        let data = try Data(contentsOf: Self.directory.appendingPathComponent(name))
        let file = ManifestValidator().validate(bytes: [UInt8](data), path: name)
        #expect(file.entries.map(\.name) == ["iris-classifier", "penguin-classifier"])
        #expect(file.entries[0].deployment?.traffic == ["v1": 100])
        #expect(file.entries[1].deployment == nil)
    }

    // MARK: - Generated inputs

    static func manifest(name: String) -> String {
        """
        apiVersion: sluice/v1
        kind: ModelDeployment
        metadata:
          name: \(name)
        spec:
          runtime: python-v2
          versions:
            - name: v1
              artifact: models/\(name)/v1.json

        """
    }

    @Test func fileOverTheSizeCapIsRejectedUnread() throws {
        let padding = String(repeating: "# padding to push the file over the size cap\n", count: (1 << 20) / 40)
        let text = Self.manifest(name: "big-model") + padding
        let size = text.utf8.count
        #expect(size > 1 << 20)
        let file = Self.validate(text)
        #expect(file.diagnostics.map(Expected.init) == [
            Expected(
                line: 1, column: 1, code: "limit-exceeded",
                message: "file is \(size) bytes; the limit is 1048576 bytes per manifest file")
        ])
        #expect(file.entries.isEmpty)
    }

    @Test func sizeCapIsConfigurableAndInclusive() {
        let text = Self.manifest(name: "small-model")
        let size = text.utf8.count
        #expect(Self.validate(text, limits: YAMLLimits(maxFileBytes: size)).diagnostics.isEmpty)
        let file = Self.validate(text, limits: YAMLLimits(maxFileBytes: size - 1))
        #expect(file.diagnostics.map(Expected.init) == [
            Expected(
                line: 1, column: 1, code: "limit-exceeded",
                message: "file is \(size) bytes; the limit is \(size - 1) bytes per manifest file")
        ])
    }

    /// `lol1` holds nine `lol0`, `lol2` nine `lol1`…: `lol9` stands for 9⁹ (387 million) strings.
    static let billionLaughs: String = {
        var lines = ["lol0: &lol0 \"lol\""]
        for level in 1...9 {
            let items = Array(repeating: "*lol\(level - 1)", count: 9).joined(separator: ", ")
            lines.append("lol\(level): &lol\(level) [\(items)]")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    /// Refused at the alias that crosses the budget, before anything is expanded (the time it
    /// takes is measured in Benchmarks/yaml-bombs.sh, not asserted here).
    @Test func billionLaughsIsRejectedAtTheBudget() {
        let diagnostics = Self.validate(Self.billionLaughs).diagnostics
        #expect(diagnostics.count == 1, "\(diagnostics)")
        #expect(diagnostics.first?.code == .limit)
        // The aliases of lol1…lol4 stand for 8,298 nodes; lol5's first alias (line 6) adds 7,381
        // and passes the per-file budget of 10,000, long before the per-document cap of 100,000.
        #expect(diagnostics.first.map(Expected.init) == Expected(
            line: 6, column: 14, code: "limit-exceeded",
            message: "alias '*lol4' brings the nodes this file's aliases stand for beyond 10000 (over all its documents); anchors and aliases may not multiply content (a \"billion laughs\" file)"))
    }

    @Test func aliasCapIsConfigurable() {
        let file = Self.validate(Self.billionLaughs, limits: YAMLLimits(maxExpandedNodes: 50))
        #expect(file.diagnostics.count == 1)
        #expect(file.diagnostics.first?.code == .limit)
        #expect(file.diagnostics.first?.location.line == 3)
    }

    @Test func tenThousandNestedFlowSequencesGiveOneLimitDiagnostic() {
        let depth = 10_000
        let closed = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        for text in [closed, String(repeating: "[", count: depth), "spec:\n  versions: " + closed + "\n"] {
            let file = Self.validate(text)
            #expect(file.diagnostics.count == 1, "\(file.diagnostics)")
            #expect(file.diagnostics.first?.code == .limit)
            #expect(file.diagnostics.first?.message == "nesting is deeper than 64 levels; a manifest needs far fewer")
        }
        // libyaml scans a line ahead and stops at its own cap (1000 levels) on the first bracket.
        #expect(Self.validate(closed).diagnostics.first?.location == SourceLocation(line: 1, column: 1))
    }

    @Test func moderatelyNestedFlowSequencesStopAtTheDepthCap() {
        let text = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(Self.validate(text).diagnostics.map(Expected.init) == [
            Expected(line: 1, column: 65, code: "limit-exceeded", message: "nesting is deeper than 64 levels; a manifest needs far fewer")
        ])
    }

    @Test func deeplyNestedBlockMappingsGiveOneLimitDiagnostic() {
        // level0:\n  level1:\n    level2: … one key per line, each two spaces deeper.
        let text = (0..<200).map { String(repeating: "  ", count: $0) + "level\($0):" }.joined(separator: "\n") + " leaf\n"
        let file = Self.validate(text)
        // The mapping at depth 64 is the one holding `level64:`, on line 65.
        #expect(file.diagnostics.map(Expected.init) == [
            Expected(line: 65, column: 129, code: "limit-exceeded", message: "nesting is deeper than 64 levels; a manifest needs far fewer")
        ])
    }

    @Test func deeplyNestedBlockSequencesGiveOneLimitDiagnostic() {
        let text = (0..<100).map { String(repeating: "  ", count: $0) + "-" }.joined(separator: "\n") + " leaf\n"
        let file = Self.validate(text)
        #expect(file.diagnostics.count == 1, "\(file.diagnostics)")
        #expect(file.diagnostics.first?.code == .limit)
    }

    @Test func depthCapIsConfigurable() {
        let text = Self.manifest(name: "iris-classifier")
        #expect(Self.validate(text, limits: YAMLLimits(maxDepth: 4)).diagnostics.isEmpty)
        let file = Self.validate(text, limits: YAMLLimits(maxDepth: 3))
        // Root mapping (0), spec (1), versions (2), the version (3): the version's mapping is too deep.
        #expect(file.diagnostics.map(Expected.init) == [
            Expected(line: 8, column: 7, code: "limit-exceeded", message: "nesting is deeper than 3 levels; a manifest needs far fewer")
        ])
    }

    @Test func modelDeclaredInTwoFilesIsReportedAtTheSecond() {
        let first = Self.validate(Self.manifest(name: "fraud-detector"), path: "models/a.yaml")
        let second = Self.validate("# the same model again\n" + Self.manifest(name: "fraud-detector"), path: "models/b.yaml")
        #expect(first.diagnostics.isEmpty && second.diagnostics.isEmpty)
        let diagnostics = RepositoryValidator.crossFileDiagnostics([first, second])
        #expect(diagnostics.map(Expected.init) == [
            Expected(
                line: 5, column: 9, code: "duplicate-model",
                message: "model 'fraud-detector' is already declared at models/a.yaml:4:9; each model is declared once")
        ])
        #expect(diagnostics.first?.file == "models/b.yaml")
        #expect(diagnostics.first?.fieldPath == "metadata.name")
        #expect(ValidationReport(files: [second, first]).diagnostics == diagnostics)
    }

    @Test func modelDeclaredTwiceInOneFileNamesTheFirstLine() {
        let text = Self.manifest(name: "fraud-detector") + "---\n" + Self.manifest(name: "fraud-detector")
        let file = Self.validate(text, path: "models/fraud.yaml")
        #expect(file.diagnostics.isEmpty)
        #expect(file.entries.count == 2)
        let diagnostics = RepositoryValidator.crossFileDiagnostics([file])
        #expect(diagnostics.map(Expected.init) == [
            Expected(
                line: 14, column: 9, code: "duplicate-model",
                message: "model 'fraud-detector' is already declared at line 4; each model is declared once")
        ])
    }

    @Test func invalidModelsStillCountForDuplicates() {
        // The second declaration has an error of its own; the duplicate is still reported.
        let first = Self.validate(Self.manifest(name: "churn-predictor"), path: "a.yaml")
        let second = Self.validate(Self.manifest(name: "churn-predictor").replacingOccurrences(of: "python-v2", with: "python_v2"), path: "b.yaml")
        #expect(second.diagnostics.count == 1)
        #expect(RepositoryValidator.crossFileDiagnostics([first, second]).map(\.code) == [.duplicateModel])
    }

    @Test func emptyFileHasOneDiagnostic() {
        for text in ["", "\n\n", "---\n", "# only a comment\n"] {
            let file = Self.validate(text)
            #expect(file.diagnostics.map(Expected.init) == [
                Expected(line: 1, column: 1, code: "missing-field", message: "the file holds no YAML document")
            ], "\(text.debugDescription)")
        }
    }
}
