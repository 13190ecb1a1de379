import SluiceCore
import Testing

/// Replica bounds per data-plane version as the rollout engine routes them (issue 21 §3):
/// a canary scales with its weight, the stable version keeps its own until promotion.
@Suite("rollout engine: replica bounds", .timeLimit(.minutes(10)))
struct RolloutScalingTests {
    static let scaling = ReplicaScaling(minReplicas: 4, maxReplicas: 8, target: .concurrency(2))

    static func model(_ traffic: [String: Int], steps: [RolloutStep] = [], scaling: ReplicaScaling? = RolloutScalingTests.scaling,
                      mirror: Mirror? = nil, artifacts: [String: String] = [:]) -> DesiredState.Model {
        let versions = traffic.keys.sorted().map { ModelVersion(name: $0, artifact: artifacts[$0] ?? "models/\($0).json") }
        let deployment = ModelDeployment(
            name: "fraud", runtime: "python-v2", versions: versions, traffic: traffic, routing: Routing(mirror: mirror),
            rollout: steps.isEmpty ? nil : Rollout(steps: steps), scaling: scaling)
        return DesiredState.Model(deployment: deployment, path: "fraud.yaml")
    }

    func step(_ desired: DesiredState.Model, _ state: RolloutState?, at now: Double) -> RolloutEngine.Decision {
        RolloutEngine.reconcile(
            desired: desired, revision: "r\(Int(now))", manifestError: nil, state: state,
            observation: ModelObservation(readyVersions: ["v1", "v2", "v1~canary"]), now: now)
    }

    /// `version: [min, max]` as the runtime spec would carry them.
    func bounds(_ state: RolloutState) throws -> [String: [Int]] {
        let route = try #require(RolloutEngine.route(for: state))
        let runtime = ModelRuntime(name: "fraud", route: route)
        var found: [String: [Int]] = [:]
        for version in runtime.versions {
            if let scaling = version.scaling { found[version.name] = [scaling.minReplicas, scaling.maxReplicas] }
        }
        return found
    }

    @Test func stableVersionsShareTheBoundsByWeight() throws {
        #expect(try bounds(step(Self.model(["v1": 100]), nil, at: 0).state) == ["v1": [4, 8]])
        let split = step(Self.model(["v1": 50, "v2": 50]), nil, at: 0).state
        #expect(try bounds(split) == ["v1": [2, 4], "v2": [2, 4]])
        let warm = step(Self.model(["v1": 100, "v2": 0], mirror: Mirror(version: "v2", percent: 50)), nil, at: 0).state
        #expect(try bounds(warm) == ["v1": [4, 8], "v2": [1, 4]], "a mirror target gets capacity for the copies")
        let idle = step(Self.model(["v1": 100, "v2": 0]), nil, at: 0).state
        #expect(try bounds(idle)["v2"] == [1, 1], "a version kept warm runs one replica")
    }

    @Test func aModelWithoutScalingHasNoBoundsAnywhere() throws {
        let stable = step(Self.model(["v1": 100], scaling: nil), nil, at: 0).state
        #expect(try bounds(stable).isEmpty)
        let canary = step(Self.model(["v1": 0, "v2": 100], steps: [.weight(25), .approval], scaling: nil), stable, at: 1).state
        #expect(try bounds(canary).isEmpty)
    }

    @Test func aCanaryAt25PercentGetsAQuarterWhileStableKeepsItsBoundsThroughTheAbort() throws {
        let stable = step(Self.model(["v1": 100]), nil, at: 0).state
        let canary = Self.model(["v1": 0, "v2": 100], steps: [.weight(25), .approval])
        var decision = step(canary, stable, at: 1)
        #expect(RolloutEngine.route(for: decision.state)?.weights == ["v1": 75, "v2": 25])
        #expect(decision.state.reason == .awaitingApproval)
        #expect(try bounds(decision.state) == ["v1": [4, 8], "v2": [1, 2]], "ceil(25% of 4 and of 8); stable whole")

        decision = try #require(RolloutEngine.abortByUser(decision.state, now: 2))
        #expect(decision.state.candidate == nil)
        #expect(RolloutEngine.route(for: decision.state)?.weights == ["v1": 100])
        #expect(try bounds(decision.state) == ["v1": [4, 8]], "the stable bounds never moved")
    }

    @Test func promotionGivesTheTargetItsOwnBounds() throws {
        let stable = step(Self.model(["v1": 100], scaling: .fixed(2)), nil, at: 0).state
        let canary = Self.model(["v1": 0, "v2": 100], steps: [.weight(50), .pause(.seconds(10))])
        var decision = step(canary, stable, at: 1)
        // v2 gets half of the target's 4–8; v1, in both splits and routed half the traffic now,
        // keeps whichever bounds ask for more: its stable 2–2 or the target's half.
        #expect(try bounds(decision.state) == ["v1": [2, 4], "v2": [2, 4]])
        decision = step(canary, decision.state, at: 20)
        #expect(decision.events.map(\.kind).contains(.promoted))
        #expect(try bounds(decision.state) == ["v1": [1, 1], "v2": [4, 8]])
    }

    @Test func aVersionReplacedInPlaceRunsBesideStableWithTheCandidateShare() throws {
        let stable = step(Self.model(["v1": 100]), nil, at: 0).state
        let replaced = Self.model(["v1": 100], steps: [.weight(10), .approval], artifacts: ["v1": "models/v1b.json"])
        let decision = step(replaced, stable, at: 1)
        #expect(RolloutEngine.route(for: decision.state)?.weights == ["v1": 90, "v1~canary": 10])
        #expect(try bounds(decision.state) == ["v1": [4, 8], "v1~canary": [1, 1]])
    }

    @Test func aScalingOnlyChangeIsAnUpdateWithoutACanary() throws {
        let stable = step(Self.model(["v1": 100], steps: [.weight(10), .approval], scaling: nil), nil, at: 0).state
        let decision = step(Self.model(["v1": 100], steps: [.weight(10), .approval]), stable, at: 1)
        #expect(decision.state.candidate == nil)
        #expect(decision.events.map(\.kind) == [.updated])
        #expect(decision.events.first?.message.contains("scaling 1–1 replicas (default) → 4–8 replicas, concurrency 2") == true)
        #expect(decision.state.stable?.digest == Self.model(["v1": 100], steps: [.weight(10), .approval]).specDigest)
        #expect(try bounds(decision.state) == ["v1": [4, 8]])
    }
}
