import Foundation
import Testing

/// Fuzz findings (docs/fuzzing.md) replayed against the real binary: `sluice serve` over
/// loopback, `sluice drift` on files.
@Suite("fuzz findings against the sluice binary", .serialized, .timeLimit(.minutes(10)))
struct FuzzRegressionServeTests {
    static func finding(_ target: String, _ name: String) throws -> String {
        let url = SluiceBinary.packageRoot.appendingPathComponent("Tests/SluiceCoreTests/Fixtures/fuzz/\(target)/\(name)")
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test("PUT /v1/spec with weights whose sum overflows is answered 400 and the data plane keeps serving")
    func specWeightsOverflow() async throws {
        let serve = try ServeHarness()
        try await serve.start()
        defer { serve.forceStop() }
        let refused = try await serve.admin("PUT", "/v1/spec", body: try Self.finding("FuzzRuntimeSpec", "weights-sum-overflow.json"))
        #expect(refused.status == 400, "\(refused.text)")
        #expect(refused.text.contains("weights sum beyond the largest integer"), "\(refused.text)")
        // Before the fix the process died of an arithmetic-overflow trap here.
        let state = try await serve.admin("GET", "/v1/state")
        #expect(state.status == 200)
        try await serve.apply(ServeHarness.fraudSpec(weights: ["v1": 100]))
        try await serve.waitReady("fraud", ["v1"])
        #expect(try await serve.infer("fraud").status == 200)
    }

    @Test("sluice drift with a baseline whose category counts overflow reports the field and exits, not a trap")
    func driftBaselineCountsOverflow() async throws {
        let tree = try ManifestTree()
        try tree.write("baseline.json", try Self.finding("FuzzBaseline", "categorical-counts-overflow.json"))
        try tree.write("current.csv", "c\na\nb\n")
        let result = try await SluiceBinary.run(["drift", "baseline.json", "current.csv"], in: tree.url)
        // Before the fix the process died of an arithmetic-overflow trap with no message.
        #expect(result.stderr.contains("features.c.counts: the counts add up to more than 9007199254740992"), "\(result.stderr)")
        #expect(result.status == 2, "\(result.stderr)")
    }
}
