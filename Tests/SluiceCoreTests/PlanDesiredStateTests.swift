import SluiceCore
import Testing

/// Building the desired state: valid models by name, invalid ones by name or by file.
@Suite(.timeLimit(.minutes(10))) struct PlanDesiredStateTests {
    @Test func validModelsByNameWithTheirFiles() throws {
        let state = PlanFixtures.state(
            "r1", [("manifests/b.yaml", PlanFixtures.fraud()), ("manifests/a.yaml", PlanFixtures.iris())])
        #expect(state.revision == "r1")
        #expect(state.models.keys.sorted() == ["fraud-detector", "iris-classifier"])
        let fraud = try #require(state.models["fraud-detector"])
        #expect(fraud.path == "manifests/b.yaml")
        #expect(fraud.specDigest == fraud.deployment.specDigest)
        #expect(fraud.nameLocation == SourceLocation(line: 4, column: 9))
        #expect(state.invalidModels.isEmpty && state.invalidFiles.isEmpty)
        #expect(!state.hasErrors)
        #expect(!state.declaresNothing)
        #expect(state.paths == ["manifests/a.yaml", "manifests/b.yaml"])
    }

    /// In a file of several documents, an error belongs to its own document's model only.
    @Test func errorInOneDocumentBlocksOnlyItsModel() throws {
        let yaml = PlanFixtures.iris(name: "first") + "---\n" + PlanFixtures.iris(name: "second")
            .replacingOccurrences("runtime: python-v2", with: "runtime: python-v2\n  replicas: 3")
            + "---\n" + PlanFixtures.iris(name: "third")
        let state = PlanFixtures.state("r", [("all.yaml", yaml)])
        #expect(state.models.keys.sorted() == ["first", "third"])
        let second = try #require(state.invalidModels["second"])
        #expect(second.path == "all.yaml")
        #expect(second.diagnostics.count == 1)
        #expect(second.diagnostics.first?.code == .unknownField)
        #expect(state.invalidFiles.isEmpty)
        #expect(state.hasErrors)
    }

    /// A duplicate key leaves the document composed, but the model is still invalid.
    @Test func duplicateKeyMakesTheModelInvalid() {
        let yaml = PlanFixtures.iris().replacingOccurrences("  runtime: python-v2", with: "  runtime: python-v2\n  runtime: python-v3")
        let state = PlanFixtures.state("r", [("iris.yaml", yaml)])
        #expect(state.models.isEmpty)
        #expect(state.invalidModels["iris-classifier"]?.diagnostics.map(\.code) == [.duplicateKey])
    }

    /// A syntax error stops reading the file: the file is invalid, models read before it stay valid.
    @Test func syntaxErrorMakesTheFileInvalid() throws {
        let yaml = PlanFixtures.iris(name: "first") + "---\nmetadata: [unclosed\n"
        let state = PlanFixtures.state("r", [("broken.yaml", yaml)])
        #expect(state.models.keys.sorted() == ["first"])
        let file = try #require(state.invalidFiles["broken.yaml"])
        #expect(file.name == nil)
        #expect(file.diagnostics.first?.code == .syntax)
        #expect(!state.declaresNothing)
    }

    @Test func modelDeclaredTwiceIsInvalidEverywhere() throws {
        let state = PlanFixtures.state(
            "r", [("a.yaml", PlanFixtures.iris()), ("b.yaml", PlanFixtures.iris(artifact: "models/other.json"))])
        #expect(state.models.isEmpty)
        let record = try #require(state.invalidModels["iris-classifier"])
        #expect(record.path == "a.yaml")
        #expect(record.diagnostics.map(\.code) == [.duplicateModel])
        #expect(record.diagnostics.first?.file == "b.yaml")
    }

    @Test func emptyRevisionDeclaresNothing() {
        let state = DesiredState(revision: "r", files: [])
        #expect(state.declaresNothing)
        #expect(state.modelNames.isEmpty)
    }
}

extension String {
    /// Replaces every occurrence (the core tests do not import Foundation for this).
    func replacingOccurrences(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
