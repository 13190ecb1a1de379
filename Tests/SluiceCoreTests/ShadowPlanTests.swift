import Foundation
import SluiceCore
import Testing

/// A canary with shadow steps in the three plan formats: the steps, the time they take, and
/// which checks judge the shadow steps and which the weight steps.
@Suite(.timeLimit(.minutes(10))) struct ShadowPlanTests {
    typealias F = PlanFixtures
    typealias M = ShadowManifestTests

    static let checks = """
            analysis:
              interval: 1m
              checks:
                - {metric: agreement, min: 0.9}
                - {metric: latency_ratio_paired, max: 1.5}
                - {metric: output_mae_vs_stable, max: 0.2}
                - {metric: error_rate, max: 0.01}
                - {metric: accuracy, min: 0.8}

        """

    /// The plan from v1 alone at 100% to `rollout` moving traffic to v2.
    static func plan(_ rollout: String) -> Plan {
        let base = M.manifest("    steps:\n      - weight: 10\n").replacingOccurrences(of: "{v1: 0, v2: 100}", with: "{v1: 100, v2: 0}")
        return Planner().plan(from: F.state("abc123", [("iris.yaml", base)]), to: F.state("def456", [("iris.yaml", M.manifest(rollout))]))
    }

    /// The lines under the model's header in the text plan, up to the first difference.
    static func actionLines(_ plan: Plan) throws -> [String] {
        let lines = PlanRenderer(format: .text).render(plan).split(separator: "\n").map(String.init)
        let header = try #require(lines.firstIndex(of: "~ iris  (iris.yaml)"))
        return Array(lines[(header + 1)...].prefix { !$0.hasPrefix("    ~ ") && !$0.hasPrefix("    + ") && !$0.hasPrefix("    - ") })
    }

    @Test func textShowsTheShadowStepItsTimeAndWhatJudgesEachPhase() throws {
        let rollout = "    steps:\n      - shadow: {percent: 100, duration: 10m}\n      - weight: 10\n" + Self.checks
        #expect(try Self.actionLines(Self.plan(rollout)) == [
            "    canary v2 against stable v1 in 2 steps: shadow 100% for 10m → 10% → 100%",
            "    promotes after at least 10m of shadow steps",
            "    analysis: 5 checks every 1m; a failing candidate is aborted within 1m (1m × 1); on abort: rollback",
            "    shadow steps judge: agreement min 0.9 tolerance 0, latency_ratio_paired max 1.5 quantile 0.99, output_mae_vs_stable max 0.2, error_rate max 0.01 on copies",
            "    weight steps judge: error_rate max 0.01, accuracy min 0.8",
        ])
    }

    @Test func pausesAndShadowDurationsAddUpToTheMinimumTimeToPromote() throws {
        let rollout = "    steps:\n      - shadow: {percent: 25, duration: 20m}\n      - weight: 10\n      - pause: 5m\n      - approval: {}\n" + Self.checks
        let plan = Self.plan(rollout)
        guard case .canary(let canary)? = plan.change(named: "iris")?.action else {
            Issue.record("not a canary: \(PlanRenderer(format: .text).render(plan))")
            return
        }
        #expect(canary.minimumTimeToPromote == .seconds(25 * 60))
        #expect(canary.shadowStepCount == 1)
        #expect(canary.stepSummary == "shadow 25% for 20m → 10% → pause 5m → approval → 100%")
        #expect(try Self.actionLines(plan)[1] == "    promotes after at least 25m of pauses and shadow steps and 1 approval")
    }

    @Test func aShadowStepWithoutAnalysisJudgesNothingAndSaysSo() throws {
        let lines = try Self.actionLines(Self.plan("    steps:\n      - shadow: {duration: 30m}\n"))
        #expect(lines == [
            "    canary v2 against stable v1 in 1 step: shadow 100% for 30m → 100%",
            "    promotes after at least 30m of shadow steps",
            "    no analysis: nothing aborts automatically; on abort: rollback",
            "    shadow steps judge nothing: each passes when its duration is up, whatever the candidate answered",
        ])
        let pairwiseOnly = "    steps:\n      - shadow: {}\n      - weight: 50\n    analysis:\n      checks:\n        - {metric: agreement, min: 0.99, tolerance: 0.01}\n"
        #expect(try Self.actionLines(Self.plan(pairwiseOnly)).suffix(2) == [
            "    shadow steps judge: agreement min 0.99 tolerance 0.01",
            "    weight steps judge nothing: every check is pairwise",
        ])
    }

    @Test func onlyShadowStepsSayWhichChecksNeverRun() throws {
        let rollout = "    steps:\n      - shadow: {}\n" + Self.checks
        #expect(try Self.actionLines(Self.plan(rollout)).suffix(2) == [
            "    shadow steps judge: agreement min 0.9 tolerance 0, latency_ratio_paired max 1.5 quantile 0.99, output_mae_vs_stable max 0.2, error_rate max 0.01 on copies",
            "    no other step: the target applies after the shadow steps, so accuracy min 0.8 is never judged",
        ])
        let prometheus = "    steps:\n      - shadow: {}\n      - weight: 20\n    analysis:\n      checks:\n"
            + "        - {metric: agreement, min: 0.9}\n        - {metric: prometheus, name: queue-depth, query: 'max(queue{version=\"{{version}}\"})', max: 10}\n"
        #expect(try Self.actionLines(Self.plan(prometheus)).last == "    weight steps judge: queue-depth (prometheus) max 10")
    }

    @Test func withoutShadowStepsThePlanReadsAsBefore() throws {
        let rollout = "    steps:\n      - weight: 10\n      - pause: 5m\n    analysis:\n      checks:\n        - {metric: error_rate, max: 0.01}\n"
        #expect(try Self.actionLines(Self.plan(rollout)) == [
            "    canary v2 against stable v1 in 2 steps: 10% → pause 5m → 100%",
            "    promotes after at least 5m of pauses",
            "    analysis: 1 check every 1m; a failing candidate is aborted within 1m (1m × 1); on abort: rollback",
        ])
    }

    @Test func markdownListsThePhasesUnderTheCanary() {
        let rollout = "    steps:\n      - shadow: {}\n      - weight: 10\n" + Self.checks
        let markdown = PlanRenderer(format: .markdown).render(Self.plan(rollout))
        #expect(markdown.contains("| `~` | `iris` | changed | canary v2 in 2 steps |\n"), "\(markdown)")
        #expect(markdown.contains("- canary v2 against stable v1 in 2 steps: shadow 100% for 10m → 10% → 100%\n"), "\(markdown)")
        #expect(markdown.contains("- shadow steps judge: agreement min 0.9 tolerance 0, latency\\_ratio\\_paired max 1.5 quantile 0.99, output\\_mae\\_vs\\_stable max 0.2, error\\_rate max 0.01 on copies\n"), "\(markdown)")
        #expect(markdown.contains("- weight steps judge: error\\_rate max 0.01, accuracy min 0.8\n"), "\(markdown)")
    }

    @Test func jsonWritesTheStepAsTheManifestDoesAndThePhaseCheckLists() throws {
        let rollout = "    steps:\n      - shadow: {percent: 50}\n      - weight: 10\n" + Self.checks
        let output = PlanRenderer(format: .json).render(Self.plan(rollout))
        let root = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        let models = try #require(root["models"] as? [[String: Any]])
        let canary = try #require(models.first?["canary"] as? [String: Any])
        let steps = try #require(canary["steps"] as? [[String: Any]])
        let shadow = try #require(steps.first?["shadow"] as? [String: Any])
        #expect(shadow.count == 2)
        #expect(shadow["percent"] as? Int == 50)
        #expect(shadow["duration"] as? String == "10m")
        #expect(steps.last?["weight"] as? Int == 10)
        #expect(canary["stepSummary"] as? String == "shadow 50% for 10m → 10% → 100%")
        #expect(canary["minimumTimeToPromoteSeconds"] as? Int == 600)
        #expect(canary["shadowChecks"] as? [String] == [
            "agreement min 0.9 tolerance 0", "latency_ratio_paired max 1.5 quantile 0.99", "output_mae_vs_stable max 0.2",
            "error_rate max 0.01 on copies",
        ])
        #expect(canary["weightChecks"] as? [String] == ["error_rate max 0.01", "accuracy min 0.8"])
        // Keys keep their order: the phase lists follow the count of checks.
        let positions = try ["analysisChecks", "shadowChecks", "weightChecks", "analysisInterval"].map { key in
            try #require(output.range(of: "\"\(key)\": ")).lowerBound
        }
        #expect(positions == positions.sorted())

        // Without shadow steps every check judges the weight steps.
        let plain = PlanRenderer(format: .json).render(Self.plan("    steps:\n      - weight: 10\n    analysis:\n      checks:\n        - {metric: accuracy, min: 0.8}\n"))
        let plainRoot = try #require(try JSONSerialization.jsonObject(with: Data(plain.utf8)) as? [String: Any])
        let plainCanary = try #require((plainRoot["models"] as? [[String: Any]])?.first?["canary"] as? [String: Any])
        #expect(plainCanary["shadowChecks"] as? [String] == [])
        #expect(plainCanary["weightChecks"] as? [String] == ["accuracy min 0.8"])
    }
}
