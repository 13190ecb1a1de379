import SluiceCore
import Testing

/// The routing summary `sluice status` shows and rollout events mention: built from a route,
/// rendered to text, compared, and carried as JSON.
@Suite("routing summary", .timeLimit(.minutes(10)))
struct RoutingSummaryTests {
    static let pin = Route.HeaderPin(header: "x-canary", value: "yes", version: "v2")
    static let full = RoutingSummary(
        Route(weights: ["v1": 90, "v2": 10], pins: [pin], stickyHeader: "x-user-id", mirror: Route.Mirror(version: "v2", percent: 10)))

    @Test("a route's mirror, sticky header and pins read as one line; weights alone are plain")
    func description() {
        #expect(Self.full.description == "mirror 10%→v2, sticky x-user-id, pin x-canary=yes→v2")
        #expect(!Self.full.isPlain)
        let plain = RoutingSummary(Route(weights: ["v1": 100]))
        #expect(plain.isPlain)
        #expect(plain.description == "-")
        #expect(RoutingSummary(mirror: Route.Mirror(version: "v3", percent: 0.5)).description == "mirror 0.5%→v3")
    }

    @Test("changes say what was turned on, off, or changed, in the order of the summary")
    func changes() {
        let plain = RoutingSummary()
        #expect(Self.full.changes(from: Self.full).isEmpty)
        #expect(RoutingChange.eventSuffix(Self.full.changes(from: Self.full)) == "")
        #expect(Self.full.changes(from: plain).map(\.description) == ["mirror 10%→v2 on", "sticky x-user-id on", "pin x-canary=yes→v2 on"])
        #expect(plain.changes(from: Self.full).map(\.description) == ["mirror 10%→v2 off", "sticky x-user-id off", "pin x-canary=yes→v2 off"])
        let moved = RoutingSummary(mirror: Route.Mirror(version: "v2", percent: 20), stickyHeader: "x-session")
        #expect(moved.changes(from: Self.full) == [
            .mirror(from: Route.Mirror(version: "v2", percent: 10), to: Route.Mirror(version: "v2", percent: 20)),
            .stickyHeader(from: "x-user-id", to: "x-session"),
            .pinRemoved(Self.pin),
        ])
        #expect(RoutingChange.eventSuffix(moved.changes(from: Self.full))
            == "; routing: mirror 20%→v2 (was 10%→v2), sticky x-session (was x-user-id), pin x-canary=yes→v2 off")
    }

    @Test("the JSON shape reads back to the same summary; a plain one is an empty object; bad input names the field")
    func json() throws {
        let text = Self.full.jsonValue.serialized()
        #expect(text == #"{"pins":[{"header":"x-canary","value":"yes","version":"v2"}],"stickyHeader":"x-user-id","mirror":{"version":"v2","percent":10}}"#)
        #expect(try RoutingSummary(json: try JSONParser.parse(Array(text.utf8))) == Self.full)
        #expect(RoutingSummary().jsonValue.serialized() == "{}")
        #expect(try RoutingSummary(json: .object([])) == RoutingSummary())

        let unknown = #expect(throws: RuntimeSpecError.self) { try RoutingSummary(json: .object([("sticky", .string("x"))])) }
        #expect(unknown?.description == "routing.sticky: unknown field; expected one of pins, stickyHeader, mirror")
        let percent = #expect(throws: RuntimeSpecError.self) {
            try RoutingSummary(json: .object([("mirror", .object([("version", .string("v2")), ("percent", .string("ten"))]))]))
        }
        #expect(percent?.description == "routing.mirror.percent: expected a percent 0–100, found a string")
    }

    @Test("a runtime spec's route JSON is unchanged: weights, then pins, sticky header and mirror")
    func routeJSON() throws {
        let spec = RuntimeSpec(models: [ModelRuntime(
            name: "fraud", versions: [VersionRuntime(name: "v1", endpoint: "http://127.0.0.1:9000"), VersionRuntime(name: "v2", endpoint: "http://127.0.0.1:9001")],
            route: Route(weights: ["v1": 90, "v2": 10], pins: [Self.pin], stickyHeader: "x-user-id", mirror: Route.Mirror(version: "v2", percent: 10)))])
        guard case .array(let models)? = spec.jsonValue["models"] else {
            Issue.record("no models array in \(spec.jsonValue.serialized())")
            return
        }
        let route = try #require(models.first?["route"])
        #expect(route.serialized() == #"{"weights":{"v1":90,"v2":10},"pins":[{"header":"x-canary","value":"yes","version":"v2"}],"stickyHeader":"x-user-id","mirror":{"version":"v2","percent":10}}"#)
        #expect(try RuntimeSpec.decode(value: spec.jsonValue) == spec)
    }
}

/// Rollout events say when a deployment, rollout, abort or promotion turns mirroring or
/// stickiness on or off; the status shows the routing the data plane gets.
@Suite("rollout engine: routing", .timeLimit(.minutes(10)))
struct RolloutEngineRoutingTests {
    static func model(
        _ versions: [(String, String)], traffic: [String: Int], routing: Routing = Routing(), steps: [RolloutStep] = []
    ) -> DesiredState.Model {
        let deployment = ModelDeployment(
            name: "fraud", runtime: "python-v2", versions: versions.map { ModelVersion(name: $0.0, artifact: "models/\($0.1).json") },
            traffic: traffic, routing: routing, rollout: steps.isEmpty ? nil : Rollout(steps: steps))
        return DesiredState.Model(deployment: deployment, path: "fraud.yaml")
    }

    func step(_ desired: DesiredState.Model?, _ state: RolloutState?, at now: Double, revision: String = "r") -> RolloutEngine.Decision {
        RolloutEngine.reconcile(desired: desired, revision: revision, manifestError: nil, state: state,
                                observation: ModelObservation(readyVersions: ["v1", "v2", "v2~canary"]), now: now)
    }

    @Test("a first deployment with a sticky header and a mirror says so in its event and its routing")
    func firstDeployment() throws {
        let routing = Routing(stickyHeader: "x-user-id", mirror: Mirror(version: "v2", percent: 10))
        let decision = step(Self.model([("v1", "a1"), ("v2", "a2")], traffic: ["v1": 100, "v2": 0], routing: routing), nil, at: 0)
        #expect(decision.events.map(\.message) == ["first deployment of fraud: v1 100%; routing: mirror 10%→v2 on, sticky x-user-id on"])
        #expect(RolloutEngine.routing(for: decision.state)?.description == "mirror 10%→v2, sticky x-user-id")
        let again = step(Self.model([("v1", "a1"), ("v2", "a2")], traffic: ["v1": 100, "v2": 0], routing: routing), decision.state, at: 1)
        #expect(again.events.isEmpty, "nothing changed, nothing said")
    }

    @Test("the rollout that turns a mirror on says so when it starts; the abort that turns it off says so too")
    func rolloutAndAbort() throws {
        let sticky = Routing(stickyHeader: "x-user-id")
        var decision = step(Self.model([("v1", "a1")], traffic: ["v1": 100], routing: sticky), nil, at: 0)
        decision = step(Self.model([("v1", "a1")], traffic: ["v1": 100], routing: sticky), decision.state, at: 1)
        let mirrored = Routing(stickyHeader: "x-user-id", mirror: Mirror(version: "v2", percent: 10))
        let canary = Self.model([("v1", "a1"), ("v2", "a2")], traffic: ["v1": 0, "v2": 100], routing: mirrored, steps: [.weight(50), .approval])
        decision = step(canary, decision.state, at: 2)
        let started = try #require(decision.events.first { $0.kind == .rolloutStarted })
        #expect(started.message == "canary of fraud toward v2 100% in 2 steps; routing: mirror 10%→v2 on")
        #expect(decision.events.filter { $0.message.contains("routing") }.count == 1, "said once: \(decision.events)")
        #expect(RolloutEngine.routing(for: decision.state)?.description == "mirror 10%→v2, sticky x-user-id")

        let aborted = try #require(RolloutEngine.abortByUser(decision.state, now: 3))
        #expect(aborted.events.map(\.message) == ["Aborted: aborted by a person; 100% back to stable; routing: mirror 10%→v2 off"])
        #expect(RolloutEngine.routing(for: aborted.state)?.description == "sticky x-user-id")
    }

    @Test("a change of routing alone is an update that names the change")
    func routingOnlyUpdate() throws {
        let versions = [("v1", "a1"), ("v2", "a2")]
        var decision = step(Self.model(versions, traffic: ["v1": 100, "v2": 0]), nil, at: 0)
        decision = step(Self.model(versions, traffic: ["v1": 100, "v2": 0], routing: Routing(stickyHeader: "x-user-id")), decision.state, at: 1)
        #expect(decision.events.map(\.kind) == [.updated])
        #expect(decision.events.first?.message == "fraud now v1 100%; routing: sticky x-user-id on")
    }

    @Test("during an in-place canary the mirror goes to NAME~canary, the version the manifest means; after promotion to NAME")
    func mirrorFollowsTheCanaryName() throws {
        let mirror = Routing(mirror: Mirror(version: "v2", percent: 10))
        var decision = step(Self.model([("v1", "a1"), ("v2", "b1")], traffic: ["v1": 50, "v2": 50], routing: mirror), nil, at: 0)
        #expect(RolloutEngine.route(for: decision.state)?.mirror?.version == "v2")
        let retrained = Self.model([("v1", "a1"), ("v2", "b2")], traffic: ["v1": 50, "v2": 50], routing: mirror, steps: [.weight(50), .approval])
        decision = step(retrained, decision.state, at: 1)
        #expect(RolloutEngine.route(for: decision.state)?.mirror?.version == "v2~canary")
        #expect(decision.events.first { $0.kind == .rolloutStarted }?.message.hasSuffix("; routing: mirror 10%→v2~canary (was 10%→v2)") == true)
        let (promoted, _) = try #require(RolloutEngine.promote(decision.state, full: true, deployment: retrained.deployment, now: 2))
        decision = step(retrained, promoted, at: 3)
        #expect(RolloutEngine.route(for: decision.state)?.mirror?.version == "v2")
        #expect(decision.events.last?.kind == .promoted)
    }
}
