import Foundation
import SluiceCore
import Testing

/// Shadow steps and pairwise checks in the manifest format: decoding with defaults, the
/// schema and semantic rules (messages and places), the warning for a step nothing judges,
/// the generated JSON Schema and reference, and the spec digest.
@Suite(.timeLimit(.minutes(10))) struct ShadowManifestTests {
    typealias F = PlanFixtures

    /// iris with v1 stable and v2 the candidate; `rollout` is indented as the spec expects.
    static func manifest(_ rollout: String, monitors: String = "") -> String {
        """
        apiVersion: sluice/v1
        kind: ModelDeployment
        metadata:
          name: iris
        spec:
          runtime: python-v2
          versions:
            - name: v1
              artifact: models/iris-v1.json
            - name: v2
              artifact: models/iris-v2.json
          traffic: {v1: 0, v2: 100}
          rollout:
        \(rollout)\(monitors)
        """
    }

    /// A canary judged by every pairwise metric during its shadow step, then on served traffic.
    static let judged = """
            steps:
              - shadow: {percent: 50, duration: 15m}
              - weight: 10
            analysis:
              interval: 1m
              checks:
                - {metric: agreement, min: 0.9, tolerance: 0.01}
                - {metric: output_mae_vs_stable, max: 0.5}
                - {metric: latency_ratio_paired, max: 1.5, quantile: 0.95}
                - {metric: error_rate, max: 0.01}
                - {metric: accuracy, min: 0.8}

        """

    /// `line:column field: message (severity)` of each diagnostic, with warnings on as `sluice validate` has them.
    static func messages(_ yaml: String, warnings: Bool = true) -> [String] {
        ManifestValidator(rolloutWarnings: warnings).validate(bytes: Array(yaml.utf8), path: "iris.yaml").diagnostics.map {
            "\($0.location.line):\($0.location.column) \($0.fieldPath): \($0.message) (\($0.severity.rawValue))"
        }
    }

    // MARK: - Decoding

    @Test func shadowStepDecodesWithItsDefaults() throws {
        let written = try F.deployment(Self.manifest(Self.judged))
        #expect(written.rollout?.steps == [.shadow(ShadowStep(percent: 50, duration: .seconds(900))), .weight(10)])
        let checks = try #require(written.rollout?.analysis?.checks)
        #expect(checks.map(\.metric) == [.agreement, .outputMAEVsStable, .latencyRatioPaired, .errorRate, .accuracy])
        #expect(checks[0].tolerance == 0.01)
        #expect(checks[0].quantile == nil)
        #expect(checks[2].quantile == 0.95)
        #expect(checks[1].tolerance == nil && checks[1].quantile == nil)
        let defaults = ShadowStep(percent: 100, duration: .seconds(600))
        for spelling in ["- shadow: {}", "- shadow:", "- shadow: {percent: 100}", "- shadow: {duration: 600s}"] {
            let deployment = try F.deployment(Self.manifest("    steps:\n      \(spelling)\n      - weight: 10\n"))
            #expect(deployment.rollout?.steps.first == .shadow(defaults), "\(spelling)")
        }
    }

    // MARK: - Validation

    @Test func aJudgedShadowStepIsValidWithoutWarnings() {
        #expect(Self.messages(Self.manifest(Self.judged)).isEmpty)
        // Shadow steps only, and a shadow step after a weight step: both allowed.
        #expect(Self.messages(Self.manifest("""
                steps:
                  - weight: 5
                  - shadow: {percent: 10}
                analysis:
                  checks:
                    - {metric: agreement, min: 0.95}

            """)).isEmpty)
    }

    @Test func aShadowStepThatNothingJudgesIsAWarningThatLeavesTheFileValid() {
        let unjudged = Self.manifest("    steps:\n      - weight: 5\n      - shadow: {duration: 5m}\n      - shadow: {}\n")
        #expect(Self.messages(unjudged) == [
            "16:9 spec.rollout.steps: a shadow step without spec.rollout.analysis judges nothing: it passes when its duration is up, whatever the new version answered (pairs and agreement are only shown in sluice status); add analysis with an agreement check to judge it (warning)",
        ])
        let file = ManifestValidator(rolloutWarnings: true).validate(bytes: Array(unjudged.utf8), path: "iris.yaml")
        #expect(file.isValid)
        #expect(file.diagnostics.first?.code == .unjudgedShadowStep)
        #expect(Self.messages(unjudged, warnings: false).isEmpty, "the controller and the plan do not ask for advice")

        let servedOnly = Self.manifest("""
                steps:
                  - shadow: {}
                  - weight: 10
                analysis:
                  checks:
                    - {metric: accuracy, min: 0.9}
                    - {metric: prediction_drift, test: psi, max: 0.2}

            """)
        #expect(Self.messages(servedOnly) == [
            "15:9 spec.rollout.steps: no check of spec.rollout.analysis is judged during shadow steps (drift, accuracy and mae checks judge the traffic the new version serves), so this step passes when its duration is up; add an agreement, output_mae_vs_stable, latency_ratio_paired, error_rate, latency or prometheus check (warning)",
        ])
        // error_rate and latency are judged on the copies: the step is judged.
        #expect(Self.messages(servedOnly.replacingOccurrences(of: "{metric: accuracy, min: 0.9}", with: "{metric: latency_p99_ms, max: 100}")).isEmpty)
    }

    @Test func aPairwiseCheckWithoutAShadowStepIsAnErrorAtItsMetric() {
        let yaml = Self.manifest("""
                steps:
                  - weight: 10
                analysis:
                  checks:
                    - {metric: error_rate, max: 0.01}
                    - metric: output_mae_vs_stable
                      max: 0.2

            """)
        #expect(Self.messages(yaml) == [
            "19:19 spec.rollout.analysis.checks[1].metric: output_mae_vs_stable is measured only during shadow steps, and spec.rollout.steps has none, so this check would never be judged; add a step such as shadow: {percent: 100, duration: 10m} before the first weight step, or remove the check (error)",
        ])
        // Steps the schema pass refused are not judged again.
        #expect(Self.messages(Self.manifest("    steps: 3\n    analysis:\n      checks:\n        - {metric: agreement, min: 0.9}\n")) == [
            "14:12 spec.rollout.steps: expected a list of rollout steps; found the integer 3 (error)",
        ])
    }

    @Test func pairwiseChecksRefuseRatiosBaselinesAndOthersFields() {
        let yaml = Self.manifest("""
                steps:
                  - shadow: {}
                analysis:
                  checks:
                    - {metric: agreement, min: 0.9, maxRatioToStable: 1.1, quantile: 0.5}
                    - {metric: latency_ratio_paired, max: 2, tolerance: 0.1, against: stable}
                    - {metric: error_rate, max: 0.01, tolerance: 0}

            """)
        #expect(Self.messages(yaml) == [
            "18:41 spec.rollout.analysis.checks[0].maxRatioToStable: 'maxRatioToStable' does not apply to metric 'agreement': a pairwise metric already compares the candidate with stable, request by request (error)",
            "18:64 spec.rollout.analysis.checks[0].quantile: 'quantile' does not apply to metric 'agreement': only latency_ratio_paired takes a quantile (latency_p99_ms and the like name theirs) (error)",
            "19:50 spec.rollout.analysis.checks[1].tolerance: 'tolerance' does not apply to metric 'latency_ratio_paired': only agreement compares output values within a tolerance (error)",
            "19:66 spec.rollout.analysis.checks[1].against: 'against' does not apply to metric 'latency_ratio_paired': a pairwise metric already compares the candidate with stable, request by request (error)",
            "20:43 spec.rollout.analysis.checks[2].tolerance: 'tolerance' does not apply to metric 'error_rate': only agreement compares output values within a tolerance (error)",
        ])
    }

    @Test func rangesOfPercentToleranceQuantileAndAgreement() {
        let yaml = Self.manifest("""
                steps:
                  - shadow: {percent: 101, duration: 10}
                analysis:
                  checks:
                    - {metric: agreement, min: 1.5, tolerance: -1}
                    - {metric: latency_ratio_paired, max: 1.2, quantile: 0.999}
                    - {metric: latency_ratio_paired, max: 1.2, quantile: 1.0}
                    - {metric: agreement, min: 0.5}

            """)
        #expect(Self.messages(yaml) == [
            "15:27 spec.rollout.steps[0].shadow.percent: 101 is out of range; expected an integer from 1 to 100 (error)",
            "15:42 spec.rollout.steps[0].shadow.duration: expected a duration with a unit, such as 10s or 10m; found the integer 10 (error)",
            "18:36 spec.rollout.analysis.checks[0].min: agreement is a fraction from 0 to 1 (0.01 means 1%); found 1.5 (error)",
            "18:52 spec.rollout.analysis.checks[0].tolerance: -1 is out of range; expected a number of at least 0 (error)",
            "20:62 spec.rollout.analysis.checks[2].quantile: 1.0 is out of range; expected a number greater than 0 and less than 1 (error)",
        ])
    }

    @Test func aStepWithShadowAndAnotherKindNamesBoth() {
        let yaml = Self.manifest("    steps:\n      - {shadow: {}, approval: {}}\n")
        #expect(Self.messages(yaml, warnings: false) == [
            "15:22 spec.rollout.steps[0]: a step has exactly one of 'weight', 'pause', 'approval' or 'shadow'; this one has 'shadow' and 'approval' (error)",
        ])
        #expect(Self.messages(Self.manifest("    steps:\n      - {shadw: {}}\n")) == [
            "15:10 spec.rollout.steps[0].shadw: unknown field 'shadw' in spec.rollout.steps[0]; did you mean 'shadow'? (error)",
        ])
    }

    @Test func monitorsRefusePairwiseMetricsAndSayWhere() {
        let monitors = """
              monitors:
                - {name: agree, metric: agreement, min: 0.9}
                - {name: drift, metric: output_mae_vs_stable, max: 2, window: 1h}

            """
        let yaml = Self.manifest("    steps:\n      - weight: 10\n", monitors: monitors)
        let reason = "it compares a rollout's candidate with stable on copies of the same requests, measured only during shadow steps; monitors judge the traffic each version serves; use it in spec.rollout.analysis.checks, with a shadow step"
        #expect(Self.messages(yaml) == [
            "17:29 spec.monitors[0].metric: metric 'agreement' does not apply to monitors: \(reason) (error)",
            "18:29 spec.monitors[1].metric: metric 'output_mae_vs_stable' does not apply to monitors: \(reason) (error)",
        ])
    }

    // MARK: - Generated schema and reference

    @Test func jsonSchemaDescribesTheShadowStepAndTheNewFields() throws {
        let schema = JSONSchemaGenerator.schema()
        let definitions = try #require(schema["$defs"])
        let step = try #require(definitions["RolloutStep"])
        guard case .array(let options)? = step["properties"]?["shadow"]?["anyOf"] else {
            Issue.record("shadow is not an object or null")
            return
        }
        #expect(options.first?["$ref"] == .string("#/$defs/ShadowStep"))
        let shadow = try #require(definitions["ShadowStep"])
        #expect(shadow["properties"]?["percent"]?["minimum"] == .int(1))
        #expect(shadow["properties"]?["percent"]?["maximum"] == .int(100))
        #expect(shadow["properties"]?["duration"]?["pattern"] != nil)
        let check = try #require(definitions["AnalysisCheck"])
        #expect(check["properties"]?["tolerance"]?["minimum"] == .number(0))
        #expect(check["properties"]?["quantile"]?["exclusiveMinimum"] == .number(0))
        #expect(check["properties"]?["quantile"]?["exclusiveMaximum"] == .number(1))
        guard case .array(let metrics)? = check["properties"]?["metric"]?["enum"] else {
            Issue.record("no metric enum")
            return
        }
        #expect(metrics.contains(.string("agreement")) && metrics.contains(.string("output_mae_vs_stable")) && metrics.contains(.string("latency_ratio_paired")))
        // Monitors: `metric` in the pairwise names makes the object invalid.
        guard case .array(let rules)? = definitions["Monitor"]?["allOf"] else {
            Issue.record("no monitor rules")
            return
        }
        let refusal = try #require(rules.first { $0["then"] == .bool(false) })
        #expect(refusal["if"]?["properties"]?["metric"]?["enum"] == .array(["agreement", "output_mae_vs_stable", "latency_ratio_paired"].map(JSONValue.string)))
    }

    @Test func referenceTableReadsAsAReference() {
        let table = ReferenceGenerator.markdown()
        #expect(table.contains("| `spec.rollout.steps[].shadow` | ShadowStep |"))
        #expect(table.contains("| `spec.rollout.steps[].shadow.percent` | integer 1–100 |  | 100 | The share of the stable version's requests copied to the new version."))
        #expect(table.contains("| `spec.rollout.steps[].shadow.duration` | string (duration) |  | 10m |"))
        #expect(table.contains("| `spec.rollout.analysis.checks[].tolerance` | number ≥ 0 |  | 0 (exact) | For `metric: agreement`:"))
        #expect(table.contains("| `spec.rollout.analysis.checks[].quantile` | number > 0 and < 1 |  | 0.99 | For `metric: latency_ratio_paired`:"))
    }

    // MARK: - Spec digest

    /// A manifest without the new fields keeps the digest earlier releases computed; the
    /// shadow step and a tolerance or quantile other than the default change it only when written.
    @Test func digestChangesOnlyWhenTheNewFieldsAreWritten() throws {
        let plain = try F.deployment(PlanDigestTests.block)
        #expect(plain.specDigest == "sha256:decad01cbddd2d6648df5526398a1ba955e72d9b374cb10b61777c009427b61f")
        #expect(!plain.canonicalSpecJSON.contains("shadow") && !plain.canonicalSpecJSON.contains("tolerance"))
        #expect(!plain.canonicalSpecJSON.contains("quantile"))

        let rollout = "    steps:\n      - shadow: {}\n      - weight: 10\n    analysis:\n      checks:\n"
        let exact = try F.deployment(Self.manifest(rollout + "        - {metric: agreement, min: 0.9}\n        - {metric: latency_ratio_paired, max: 1.5}\n"))
        let spelled = try F.deployment(Self.manifest(
            "    steps:\n      - shadow: {duration: 600s, percent: 100}\n      - weight: 10\n    analysis:\n      checks:\n"
                + "        - {metric: latency_ratio_paired, max: 1.50, quantile: 0.99}\n        - {metric: agreement, min: 0.9, tolerance: 0}\n"))
        #expect(exact.specDigest == spelled.specDigest, "defaults written or not, in any order and spelling")
        #expect(exact.canonicalSpecJSON.contains(#""steps":[{"shadow":{"duration":"10m","percent":100}},{"weight":10}]"#))
        #expect(!exact.canonicalSpecJSON.contains("tolerance") && !exact.canonicalSpecJSON.contains("quantile"))
        // Pinned, so that a change of the canonical form is seen.
        #expect(exact.specDigest == Self.pinnedShadowDigest)

        let tolerant = try F.deployment(Self.manifest(rollout + "        - {metric: agreement, min: 0.9, tolerance: 0.01}\n        - {metric: latency_ratio_paired, max: 1.5}\n"))
        let median = try F.deployment(Self.manifest(rollout + "        - {metric: agreement, min: 0.9}\n        - {metric: latency_ratio_paired, max: 1.5, quantile: 0.5}\n"))
        let halfShadow = try F.deployment(Self.manifest(
            rollout.replacingOccurrences(of: "shadow: {}", with: "shadow: {percent: 50}") + "        - {metric: agreement, min: 0.9}\n        - {metric: latency_ratio_paired, max: 1.5}\n"))
        let longer = try F.deployment(Self.manifest(
            rollout.replacingOccurrences(of: "shadow: {}", with: "shadow: {duration: 11m}") + "        - {metric: agreement, min: 0.9}\n        - {metric: latency_ratio_paired, max: 1.5}\n"))
        #expect(tolerant.canonicalSpecJSON.contains(#""tolerance":0.01"#))
        #expect(median.canonicalSpecJSON.contains(#""quantile":0.5"#))
        let digests = [exact, tolerant, median, halfShadow, longer].map(\.specDigest)
        #expect(Set(digests).count == digests.count, "each change gives its own digest")
        // The plan shows each of those changes.
        for changed in [tolerant, median, halfShadow, longer] {
            #expect(!SpecDiff.differences(from: exact, to: changed).isEmpty)
        }
        #expect(SpecDiff.differences(from: exact, to: tolerant) == [
            FieldChange(.removed, "rollout.analysis.checks", old: "agreement min 0.9"),
            FieldChange(.added, "rollout.analysis.checks", new: "agreement min 0.9 tolerance 0.01"),
        ])
        #expect(SpecDiff.differences(from: exact, to: halfShadow) == [
            FieldChange(.changed, "rollout.steps", old: "[shadow 100% for 10m, 10%]", new: "[shadow 50% for 10m, 10%]"),
        ])
    }

    static let pinnedShadowDigest = "sha256:3fc1bdfba69059524b897125754a2f66cbb347c966085d205374f6f598127517"
}
