import Foundation
import SluiceCore
import Testing

/// Inputs that the fuzz targets (Fuzz/, docs/fuzzing.md) found, kept byte for byte in
/// Fixtures/fuzz/TARGET/. Each once crashed, hung or exhausted memory; each must now be
/// answered with the error a user would read.
@Suite(.timeLimit(.minutes(10))) struct FuzzRegressionTests {
    static let directory = TestPaths.packageRoot.appendingPathComponent("Tests/SluiceCoreTests/Fixtures/fuzz")

    static func input(_ target: String, _ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent("\(target)/\(name)")))
    }

    /// The issues `RuntimeSpec.decode` reports for `bytes`, or nil when it accepts them.
    static func runtimeSpecIssues(_ bytes: [UInt8]) -> [String]? {
        do {
            _ = try RuntimeSpec.decode(json: bytes)
            return nil
        } catch {
            return error.issues.map(\.description)
        }
    }

    @Test("runtime spec: weights whose sum overflows Int are refused with the field, not a trap")
    func runtimeSpecWeightsOverflow() throws {
        // {"a": 9223372036854775807, "b": 1}: summing the weights trapped the data plane.
        let issues = Self.runtimeSpecIssues(try Self.input("FuzzRuntimeSpec", "weights-sum-overflow.json"))
        #expect(issues == [
            "models[0].route.weights.a: expected 0–100, found 9223372036854775807",
            "models[0].route.weights.b: names no version of model 'm'",
            "models[0].route.weights: weights sum beyond the largest integer; they must sum to 100",
        ])
    }

    @Test("baseline: category counts whose sum overflows Int are refused with the field, not a trap")
    func baselineCountsOverflow() throws {
        // {"a": 9223372036854775807, "b": 1}: the feature's count (their sum) trapped the decoder.
        let bytes = try Self.input("FuzzBaseline", "categorical-counts-overflow.json")
        #expect(throws: DriftBaselineError(path: "features.c.counts", message: "the counts add up to more than 9007199254740992; expected row counts")) {
            try DriftBaseline(bytes: bytes)
        }
    }
}
