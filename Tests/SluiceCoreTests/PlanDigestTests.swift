import SluiceCore
import Testing

/// The spec digest ignores how a manifest is written and follows every field that changes
/// what runs.
@Suite(.timeLimit(.minutes(10))) struct PlanDigestTests {
    /// The kitchen-sink manifest in block style, with defaults omitted.
    static let block = """
        apiVersion: sluice/v1
        kind: ModelDeployment
        metadata:
          name: everything
          labels: {team: risk}
        spec:
          runtime: python-v2
          versions:
            - name: v1
              artifact: models/v1.json
              digest: sha256:\(String(repeating: "ab", count: 32))
            - name: v2
              artifact: s3://bucket/v2.bst
          traffic: {v1: 100}
          routing:
            stickyHeader: x-user-id
            mirror: {version: v2, percent: 5}
          rollout:
            steps:
              - weight: 5
              - pause: 90m
              - approval: {}
              - weight: 60
            analysis:
              interval: 45s
              failureLimit: 2
              checks:
                - {metric: latency_p95_ms, max: 80, maxRatioToStable: 1.5}
                - {metric: input_drift, inputs: [amount, country], test: jensen_shannon, against: reference, reference: baselines/a.json, max: 0.1}
          monitors:
            - name: mae
              metric: mae
              max: 3.5
              window: 30m
            - name: drift
              metric: prediction_drift
              test: hellinger
              reference: baselines/p.json
              max: 0.3

        """

    /// The same deployment: flow style, keys and list items reordered, defaults spelled out,
    /// other duration and number spellings, comments, different labels.
    static let reformatted = """
        # The same model, written differently.
        kind: ModelDeployment
        apiVersion: sluice/v1
        spec:
          monitors:
            - {name: drift, reference: baselines/p.json, test: hellinger, metric: prediction_drift, max: 0.30, window: 1h, minSamples: 100}
            - name: mae          # regression error
              window: 1800s
              metric: mae
              max: 3.50
              severity: warning
              action: alert
              consecutiveWindows: 1
          traffic:
            v2: 0
            v1: 100
          versions:
            - {artifact: s3://bucket/v2.bst, name: v2}
            - name: v1
              digest: "sha256:\(String(repeating: "ab", count: 32))"
              artifact: 'models/v1.json'
          rollout:
            rollbackWindow: 5
            progressDeadline: 10m
            onAbort: rollback
            analysis:
              checks:
                - {metric: input_drift, inputs: [country, amount], test: jensen_shannon, against: reference, reference: baselines/a.json, max: 0.1}
                - {maxRatioToStable: 1.50, max: 80.0, metric: latency_p95_ms}
              failureLimit: 2
              minRequests: 100
              interval: 45000ms
              inconclusiveLimit: 0
              consecutiveErrorLimit: 4
            steps: [{weight: 5}, {pause: 1h30m}, {approval: {}}, {weight: 60}]
          routing: {mirror: {percent: 5, version: v2}, stickyHeader: x-user-id}
          runtime: python-v2
        metadata:
          labels: {team: fraud, tier: "1"}
          name: everything

        """

    @Test func independentOfFormattingKeyOrderDefaultsAndLabels() throws {
        let first = PlanFixtures.file("a.yaml", Self.block)
        let second = PlanFixtures.file("b.yaml", Self.reformatted)
        #expect(first.diagnostics.isEmpty)
        #expect(second.diagnostics.isEmpty)
        let a = try #require(first.entries.first?.deployment)
        let b = try #require(second.entries.first?.deployment)
        #expect(a.labels != b.labels)
        #expect(a.canonicalSpecJSON == b.canonicalSpecJSON)
        #expect(a.specDigest == b.specDigest)
        #expect(SpecDiff.differences(from: a, to: b).map(\.field) == ["labels.team", "labels.tier"])
    }

    @Test func digestShapeAndCanonicalKeyOrder() throws {
        let deployment = try PlanFixtures.deployment(Self.block)
        let digest = deployment.specDigest
        #expect(digest.hasPrefix("sha256:"))
        #expect(digest.count == 7 + 64)
        #expect(digest.dropFirst(7).allSatisfy { "0123456789abcdef".contains($0) })
        // Top-level keys in byte order; no whitespace; the name and labels are not covered.
        #expect(deployment.canonicalSpecJSON.hasPrefix(#"{"monitors":[{"action":"alert""#))
        #expect(!deployment.canonicalSpecJSON.contains(" "))
        #expect(!deployment.canonicalSpecJSON.contains("everything"))
        #expect(!deployment.canonicalSpecJSON.contains("risk"))
        #expect(deployment.canonicalSpecJSON.contains(#""pause":"1h30m""#))
        #expect(deployment.canonicalSpecJSON.contains(#""traffic":{"v1":100,"v2":0}"#))
    }

    /// Every change to what runs changes the digest, and no two such changes collide.
    @Test func sensitiveToEveryFieldThatChangesWhatRuns() throws {
        let base = try PlanFixtures.deployment(Self.block)
        let mutations: [(String, (inout ModelDeployment) -> Void)] = [
            ("runtime", { $0.runtime = "python-v3" }),
            ("artifact", { $0.versions[0].artifact = "models/v1b.json" }),
            ("version digest", { $0.versions[0].digest = Digest.parse("sha256:" + String(repeating: "cd", count: 32)).value }),
            ("version digest removed", { $0.versions[0].digest = nil }),
            ("version name", { $0.versions[1].name = "v3"; $0.traffic = ["v1": 100, "v3": 0]; $0.routing.mirror?.version = "v3" }),
            ("version added", { $0.versions.append(ModelVersion(name: "v3", artifact: "models/v3.json")); $0.traffic["v3"] = 0 }),
            ("traffic", { $0.traffic = ["v1": 90, "v2": 10] }),
            ("sticky header", { $0.routing.stickyHeader = "x-session" }),
            ("sticky header removed", { $0.routing.stickyHeader = nil }),
            ("mirror percent", { $0.routing.mirror?.percent = 6 }),
            ("mirror removed", { $0.routing.mirror = nil }),
            ("rollout removed", { $0.rollout = nil }),
            ("step weight", { $0.rollout?.steps[0] = .weight(6) }),
            ("step order", { $0.rollout?.steps.swapAt(1, 2) }),
            ("pause", { $0.rollout?.steps[1] = .pause(.seconds(60)) }),
            ("step removed", { $0.rollout?.steps.removeLast() }),
            ("onAbort", { $0.rollout?.onAbort = .revert }),
            ("progressDeadline", { $0.rollout?.progressDeadline = .seconds(900) }),
            ("rollbackWindow", { $0.rollout?.rollbackWindow = 2 }),
            ("analysis removed", { $0.rollout?.analysis = nil }),
            ("interval", { $0.rollout?.analysis?.interval = .seconds(30) }),
            ("minRequests", { $0.rollout?.analysis?.minRequests = 50 }),
            ("failureLimit", { $0.rollout?.analysis?.failureLimit = 0 }),
            ("inconclusiveLimit", { $0.rollout?.analysis?.inconclusiveLimit = 1 }),
            ("consecutiveErrorLimit", { $0.rollout?.analysis?.consecutiveErrorLimit = 2 }),
            ("check threshold", { $0.rollout?.analysis?.checks[0].thresholds.max = 81 }),
            ("check ratio", { $0.rollout?.analysis?.checks[0].thresholds.maxRatioToStable = 1.4 }),
            ("check min ratio", { $0.rollout?.analysis?.checks[0].thresholds.minRatioToStable = 0.5 }),
            ("check metric", { $0.rollout?.analysis?.checks[0].metric = .latencyP99 }),
            ("check inputs", { $0.rollout?.analysis?.checks[1].inputs = ["amount"] }),
            ("check test", { $0.rollout?.analysis?.checks[1].test = .psi }),
            ("check against", { $0.rollout?.analysis?.checks[1].against = .stable; $0.rollout?.analysis?.checks[1].reference = nil }),
            ("check reference", { $0.rollout?.analysis?.checks[1].reference = "baselines/b.json" }),
            ("check added", { $0.rollout?.analysis?.checks.append(AnalysisCheck(metric: .errorRate, thresholds: Thresholds(max: 0.01))) }),
            ("monitor max", { $0.monitors[0].thresholds.max = 3.6 }),
            ("monitor min", { $0.monitors[0].thresholds.min = 0.1 }),
            ("monitor window", { $0.monitors[0].window = .seconds(60) }),
            ("monitor minSamples", { $0.monitors[0].minSamples = 10 }),
            ("monitor consecutiveWindows", { $0.monitors[0].consecutiveWindows = 2 }),
            ("monitor severity", { $0.monitors[0].severity = .critical }),
            ("monitor action", { $0.monitors[0].action = .rollback }),
            ("monitor metric", { $0.monitors[0].metric = .accuracy }),
            ("monitor name", { $0.monitors[0].name = "mae2" }),
            ("monitor reference", { $0.monitors[1].reference = "baselines/q.json" }),
            ("monitor test", { $0.monitors[1].test = .psi }),
            ("monitor inputs", { $0.monitors[1].inputs = ["x"] }),
            ("monitor removed", { $0.monitors.removeLast() }),
        ]
        var seen: [String: String] = [base.specDigest: "base"]
        for (label, mutate) in mutations {
            var changed = base
            mutate(&changed)
            let digest = changed.specDigest
            #expect(seen[digest] == nil, "\(label) gives the same digest as \(seen[digest] ?? "")")
            seen[digest] = label
            // The diff sees every change the digest sees.
            #expect(!SpecDiff.differences(from: base, to: changed).isEmpty, "\(label) shows no difference")
        }
    }

    /// Labels and the name are identity and metadata, not spec.
    @Test func labelsAndNameAreNotCovered() throws {
        let base = try PlanFixtures.deployment(Self.block)
        var relabelled = base
        relabelled.labels = ["anything": "else"]
        relabelled.name = "renamed"
        #expect(relabelled.specDigest == base.specDigest)
    }
}
