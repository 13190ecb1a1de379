import SluiceCore
import Testing

/// `spec.scaling`: decoded with its defaults, kept out of the digest of manifests that do not
/// write it, and shown in a plan as one field.
@Suite(.timeLimit(.minutes(10))) struct ScalingManifestTests {
    typealias F = PlanFixtures

    static func manifest(_ scaling: String) -> String {
        F.iris() + "  scaling:\n" + scaling
    }

    @Test func defaultsFillWhatIsNotWritten() throws {
        let written = try F.deployment(Self.manifest("    minReplicas: 2\n"))
        #expect(written.scaling == ReplicaScaling(minReplicas: 2, maxReplicas: 2, target: .concurrency(4), scaleDownDelay: .seconds(300)))
        let empty = try F.deployment(F.iris() + "  scaling: {}\n")
        #expect(empty.scaling == ReplicaScaling.fixed(1))
        #expect(try F.deployment(F.iris()).scaling == nil, "no scaling: one process, as before")
    }

    @Test func bothTargetsDecode() throws {
        let concurrency = try F.deployment(Self.manifest(
            "    minReplicas: 2\n    maxReplicas: 8\n    target: {concurrency: 2.5}\n    scaleDownDelay: 2m\n"))
        #expect(concurrency.scaling == ReplicaScaling(minReplicas: 2, maxReplicas: 8, target: .concurrency(2.5), scaleDownDelay: .seconds(120)))
        let rps = try F.deployment(Self.manifest("    maxReplicas: 4\n    target:\n      rps: 200\n"))
        #expect(rps.scaling == ReplicaScaling(minReplicas: 1, maxReplicas: 4, target: .rps(200)))
        #expect(rps.scaling?.autoscales == true)
    }

    @Test func badValuesNameTheFieldAndWhatIsExpected() {
        func messages(_ scaling: String) -> [String] {
            F.file("s.yaml", Self.manifest(scaling)).diagnostics.map { "\($0.location.line):\($0.location.column) \($0.fieldPath): \($0.message)" }
        }
        #expect(messages("    minReplicas: 3\n    maxReplicas: 2\n") == [
            "12:18 spec.scaling.maxReplicas: maxReplicas: expected at least minReplicas (3), found 2",
        ])
        #expect(messages("    minReplicas: 0\n") == ["11:18 spec.scaling.minReplicas: 0 is out of range; expected an integer from 1 to 1000"])
        #expect(messages("    target: {rps: -1}\n") == ["11:19 spec.scaling.target.rps: -1 is out of range; expected a number greater than 0"])
        #expect(messages("    scaleDownDelay: soon\n").count == 1)
        #expect(messages("    maxReplica: 3\n") == [
            "11:5 spec.scaling.maxReplica: unknown field 'maxReplica' in spec.scaling; did you mean 'maxReplicas'?",
        ])
    }

    /// The digest of every manifest without `scaling` is the one the previous release
    /// recorded (this one is what it computed for the kitchen-sink manifest), so an upgrade
    /// starts no rollout and keeps fast-rollback history.
    @Test func digestWithoutScalingIsUnchanged() throws {
        let deployment = try F.deployment(PlanDigestTests.block)
        #expect(deployment.specDigest == "sha256:decad01cbddd2d6648df5526398a1ba955e72d9b374cb10b61777c009427b61f")
        #expect(!deployment.canonicalSpecJSON.contains("scaling"))
    }

    @Test func digestFollowsScalingWithDefaultsFilledIn() throws {
        let plain = try F.deployment(F.iris())
        let scaled = try F.deployment(Self.manifest("    minReplicas: 2\n    maxReplicas: 8\n"))
        let spelled = try F.deployment(Self.manifest(
            "    scaleDownDelay: 300s\n    target: {concurrency: 4.0}\n    maxReplicas: 8\n    minReplicas: 2\n"))
        #expect(scaled.specDigest != plain.specDigest)
        #expect(scaled.specDigest == spelled.specDigest, "defaults written or not, in any order and spelling")
        #expect(scaled.canonicalSpecJSON.contains(#""scaling":{"maxReplicas":8,"minReplicas":2,"scaleDownDelay":"5m","target":{"concurrency":4}}"#))
        let rps = try F.deployment(Self.manifest("    minReplicas: 2\n    maxReplicas: 8\n    target: {rps: 4}\n"))
        #expect(rps.specDigest != scaled.specDigest)
    }

    @Test func aScalingChangeIsAnUpdateShownAsOneField() throws {
        let scaled = Self.manifest("    minReplicas: 2\n    maxReplicas: 8\n")
        let plan = Planner().plan(from: F.state("base", [("iris.yaml", F.iris())]), to: F.state("head", [("iris.yaml", scaled)]))
        let change = try #require(plan.change(named: "iris-classifier"))
        #expect(change.action == .update)
        #expect(change.differences == [
            FieldChange(.changed, "scaling", old: "1–1 replicas (default)", new: "2–8 replicas, concurrency 4, scaleDownDelay 5m"),
        ])
        let text = PlanRenderer(format: .text).render(plan)
        #expect(text.contains("scaling: 1–1 replicas (default) → 2–8 replicas, concurrency 4, scaleDownDelay 5m"), "\(text)")
        #expect(PlanRenderer(format: .markdown).render(plan).contains("2–8 replicas, concurrency 4"))
        let json = try JSONParser.parse(Array(PlanRenderer(format: .json).render(plan).utf8))
        guard case .array(let models)? = json["models"], case .array(let differences)? = models.first?["differences"] else {
            Issue.record("no differences in \(json.serialized())")
            return
        }
        #expect(differences.first?["field"] == .string("scaling"))
        #expect(differences.first?["to"] == .string("2–8 replicas, concurrency 4, scaleDownDelay 5m"))

        let added = Planner().plan(from: nil, to: F.state("head", [("iris.yaml", scaled)]))
        #expect(added.change(named: "iris-classifier")?.differences.contains(
            FieldChange(.added, "scaling", new: "2–8 replicas, concurrency 4, scaleDownDelay 5m")) == true)
    }
}
