import Foundation
import SluiceCore
import Testing

/// The example tree in manifests/ must validate clean: it is what users copy.
@Suite(.timeLimit(.minutes(10))) struct ExampleManifestsTests {
    @Test func exampleTreeIsValid() throws {
        let root = TestPaths.packageRoot.appendingPathComponent("manifests/models")
        let names = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(names.count >= 3)
        let files = try names.map { name in
            let data = try Data(contentsOf: root.appendingPathComponent(name))
            return ManifestValidator().validate(bytes: [UInt8](data), path: name)
        }
        let report = ValidationReport(files: files)
        #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
        #expect(report.modelCount == 3)
        let canary = try #require(files.flatMap(\.entries).compactMap(\.deployment).first { $0.name == "fraud-detector" })
        #expect(canary.rollout?.steps == [.weight(10), .pause(.seconds(300)), .weight(50), .approval])
        #expect(canary.rollout?.analysis?.checks.count == 4)
        #expect(canary.traffic == ["v2.1": 0, "v2.2": 100])
    }
}
