import Foundation
import SluiceTestSupport
import Testing

/// `sluice validate` and `sluice plan` on manifests with shadow steps: the real binary on
/// real files and a real git repository.
@Suite(.timeLimit(.minutes(10))) struct ShadowCommandTests {
    /// iris moving from v1 to v2 through `steps`, judged by `checks` (YAML list items, may be empty).
    static func canary(steps: String, checks: String = "") -> String {
        manifest("iris", versions: ["v1", "v2"], traffic: ["v1": 0, "v2": 100])
            + "  rollout:\n    steps:\n" + steps
            + (checks.isEmpty ? "" : "    analysis:\n      interval: 1m\n      checks:\n" + checks)
    }

    @Test func validateWarnsAboutAShadowStepThatNothingJudgesAndStrictFails() async throws {
        let tree = try ManifestTree()
        try tree.write("unjudged.yaml", Self.canary(steps: "      - shadow: {percent: 100, duration: 10m}\n      - weight: 10\n"))
        let lenient = try await SluiceBinary.run(["validate", "unjudged.yaml"], in: tree.url)
        #expect(lenient.status == 0, "\(lenient.stdout)\(lenient.stderr)")
        #expect(lenient.stdout.hasPrefix(
            "unjudged.yaml:15:9: warning: a shadow step without spec.rollout.analysis judges nothing: it passes when its duration is up, whatever the new version answered (pairs and agreement are only shown in sluice status); add analysis with an agreement check to judge it [unjudged-shadow-step]\n      - shadow: {percent: 100, duration: 10m}\n        ^\n"),
            "\(lenient.stdout)")
        #expect(lenient.stdout.hasSuffix("1 file, 1 model: valid, 1 warning\n"), "\(lenient.stdout)")
        let strict = try await SluiceBinary.run(["validate", "--strict", "unjudged.yaml"], in: tree.url)
        #expect(strict.status == 1, "\(strict.stdout)")
        #expect(strict.stdout.contains("unjudged.yaml:15:9: error: a shadow step without spec.rollout.analysis judges nothing"), "\(strict.stdout)")

        try tree.write("judged.yaml", Self.canary(
            steps: "      - shadow: {}\n      - weight: 10\n", checks: "        - {metric: agreement, min: 0.9}\n        - {metric: error_rate, max: 0.01}\n"))
        let judged = try await SluiceBinary.run(["validate", "--strict", "judged.yaml"], in: tree.url)
        #expect(judged.status == 0, "\(judged.stdout)")
        #expect(judged.stdout == "1 file, 1 model: valid\n")
    }

    @Test func validateReportsAPairwiseCheckWithoutAShadowStepInEveryFormat() async throws {
        let tree = try ManifestTree()
        try tree.write("m.yaml", Self.canary(steps: "      - weight: 10\n", checks: "        - {metric: agreement, min: 0.9, tolerance: 0.01}\n"))
        let text = try await SluiceBinary.run(["validate", "m.yaml"], in: tree.url)
        #expect(text.status == 1)
        #expect(text.stdout.hasPrefix(
            "m.yaml:19:20: error: agreement is measured only during shadow steps, and spec.rollout.steps has none, so this check would never be judged; add a step such as shadow: {percent: 100, duration: 10m} before the first weight step, or remove the check [inconsistent]\n"),
            "\(text.stdout)")
        let json = try await SluiceBinary.run(["validate", "--format", "json", "m.yaml"], in: tree.url)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let diagnostic = try #require((document["diagnostics"] as? [[String: Any]])?.first)
        #expect(diagnostic["field"] as? String == "spec.rollout.analysis.checks[0].metric")
        #expect(diagnostic["line"] as? Int == 19)
        #expect(diagnostic["column"] as? Int == 20)
        let github = try await SluiceBinary.run(["validate", "--format", "github", "m.yaml"], in: tree.url)
        #expect(github.stdout.hasPrefix("::error file=m.yaml,line=19,col=20,title=sluice validate%3A inconsistent::agreement is measured only during shadow steps"), "\(github.stdout)")
    }

    /// The shipped example of shadow-step mistakes stays invalid, each mistake reported once.
    @Test func theShippedBrokenShadowExampleReportsEachMistake() async throws {
        let result = try await SluiceBinary.run(["validate", "examples/invalid/iris-shadow-broken.yaml"], in: SluiceBinary.packageRoot)
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasSuffix("7 errors in 1 of 1 file\n"), "\(result.stdout)")
        for place in ["17:27", "17:30", "21:36", "22:41", "23:43", "24:62", "27:15"] {
            #expect(result.stdout.contains("examples/invalid/iris-shadow-broken.yaml:\(place): error: "), "\(place)")
        }
    }

    @Test func planShowsTheShadowStepAndWhatJudgesIt() async throws {
        let repo = try GitFixture()
        try repo.commit("v1", files: ["manifests/iris.yaml": manifest("iris", versions: ["v1", "v2"], traffic: ["v1": 100, "v2": 0])])
        let checks = "        - {metric: agreement, min: 0.9}\n        - {metric: error_rate, max: 0.01}\n        - {metric: accuracy, min: 0.8}\n"
        try repo.commit("ship v2 behind a shadow step", files: [
            "manifests/iris.yaml": Self.canary(steps: "      - shadow: {percent: 100, duration: 10m}\n      - weight: 10\n", checks: checks)
        ])
        let text = try await SluiceBinary.run(["plan", "--path", "manifests"], in: repo.url)
        #expect(text.status == 1, "\(text.stdout)\(text.stderr)")
        #expect(text.stdout.contains("""
                canary v2 against stable v1 in 2 steps: shadow 100% for 10m → 10% → 100%
                promotes after at least 10m of shadow steps
                analysis: 3 checks every 1m; a failing candidate is aborted within 1m (1m × 1); on abort: rollback
                shadow steps judge: agreement min 0.9 tolerance 0, error_rate max 0.01 on copies
                weight steps judge: error_rate max 0.01, accuracy min 0.8

            """), "\(text.stdout)")
        let json = try await SluiceBinary.run(["plan", "--path", "manifests", "--format", "json"], in: repo.url)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let canary = try #require((document["models"] as? [[String: Any]])?.first?["canary"] as? [String: Any])
        #expect(canary["shadowChecks"] as? [String] == ["agreement min 0.9 tolerance 0", "error_rate max 0.01 on copies"])
        #expect(canary["minimumTimeToPromoteSeconds"] as? Int == 600)
        let markdown = try await SluiceBinary.run(["plan", "--path", "manifests", "--format", "markdown"], in: repo.url)
        #expect(markdown.stdout.contains("- shadow steps judge: agreement min 0.9 tolerance 0, error\\_rate max 0.01 on copies\n"), "\(markdown.stdout)")
    }
}
