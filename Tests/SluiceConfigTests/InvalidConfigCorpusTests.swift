import Foundation
import SluiceConfig
import Testing

/// The corpus of invalid `sluice.yaml` files in Fixtures/invalid: each file ends with one
/// `# expect: LINE:COLUMN: FIELD: MESSAGE` line per problem, in document order, and must be
/// refused with exactly those problems (the file name before each is implied).
@Suite(.timeLimit(.minutes(10))) struct InvalidConfigCorpusTests {
    static let directory = TestPaths.packageRoot.appendingPathComponent("Tests/SluiceConfigTests/Fixtures/invalid")

    /// The fixture file names, listed when the tests run.
    static let fixtureNames: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted()

    @Test func theCorpusIsThere() {
        #expect(Self.fixtureNames.count >= 12)
    }

    @Test(arguments: fixtureNames)
    func refusedWithExactlyTheExpectedProblems(name: String) throws {
        let path = Self.directory.appendingPathComponent(name).path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let expected = text.split(separator: "\n").compactMap { line in
            line.hasPrefix("# expect: ") ? String(line.dropFirst("# expect: ".count)) : nil
        }
        #expect(!expected.isEmpty, "\(name) states no # expect: lines")
        do {
            _ = try SluiceConfiguration.load(path: path)
            Issue.record("\(name) was accepted")
        } catch {
            let found = error.problems.map { $0.hasPrefix(path + ":") ? String($0.dropFirst(path.count + 1)) : $0 }
            let record = found.map { "# expect: \($0)" }.joined(separator: "\n")
            #expect(found == expected, "\(name):\n\(record)")
        }
    }
}
