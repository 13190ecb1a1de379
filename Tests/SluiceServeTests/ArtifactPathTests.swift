import Foundation
import Testing
@testable import SluiceServe

@Suite("artifact paths", .timeLimit(.minutes(10)))
struct ArtifactPathTests {
    @Test("artifact paths stay inside the artifact root")
    func artifactPaths() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("artifact-root-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("models"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("models/escape").path, withDestinationPath: "/etc")
        #expect((try? ArtifactPath.check("models/a.json", root: root.path).get()) != nil)
        #expect((try? ArtifactPath.check(root.appendingPathComponent("models/a.json").path, root: root.path).get()) != nil)
        for escaping in ["../a.json", "models/../../a.json", "/etc/passwd", "models/escape/passwd"] {
            #expect((try? ArtifactPath.check(escaping, root: root.path).get()) == nil, "\(escaping)")
        }
    }
}
