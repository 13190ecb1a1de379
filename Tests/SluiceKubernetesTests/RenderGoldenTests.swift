import Foundation
import SluiceCore
import SluiceKubernetes
import Testing

/// Golden files: what each driver renders in every rollout state, byte for byte.
/// Regenerate after an intended change with `SLUICE_UPDATE_GOLDEN=1 swift test --filter RenderGoldenTests`
/// and review the diff of Tests/SluiceKubernetesTests/Fixtures/golden.
@Suite("Rendering: every rollout state of both drivers matches its reviewed golden YAML", .timeLimit(.minutes(10)))
struct RenderGoldenTests {
    @Test("gateway-api and kserve objects equal Fixtures/golden/<driver>/<state>.yaml", arguments: RenderFixtures.cases.map { "\($0.directory)/\($0.state.name)" })
    func golden(_ name: String) throws {
        let entry = try #require(RenderFixtures.cases.first { "\($0.directory)/\($0.state.name)" == name })
        let yaml = KubernetesYAML.stream(try RenderFixtures.render(entry.context, entry.state))
        let file = RenderFixtures.fixtures.appendingPathComponent("golden/\(name).yaml")
        if ProcessInfo.processInfo.environment["SLUICE_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try yaml.write(to: file, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(yaml == expected, "rendered objects differ from \(file.path); if intended, regenerate with SLUICE_UPDATE_GOLDEN=1")
    }

    @Test("rendering twice gives the same bytes (no dictionary order leaks)")
    func stable() throws {
        for entry in RenderFixtures.cases {
            let first = KubernetesYAML.stream(try RenderFixtures.render(entry.context, entry.state))
            let second = KubernetesYAML.stream(try RenderFixtures.render(entry.context, entry.state))
            #expect(first == second)
        }
    }
}
