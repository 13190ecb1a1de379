import SluiceCore
import Testing

@Suite("sketched inputs", .timeLimit(.minutes(10)))
struct SketchInputsTests {
    @Test("a spec without sketchInputs (saved before the field existed) still loads, as nil; with it, the list survives a round trip")
    func backwardsCompatible() throws {
        let old = try RuntimeSpec.decode(json: Array(RuntimeSpecTests.good.utf8))
        #expect(old.model("fraud")?.sketchInputs == nil)
        #expect(!old.jsonValue.serialized().contains("sketchInputs"))
        let json = #"{"models":[{"name":"m","versions":[{"name":"v1","endpoint":"http://127.0.0.1:9000"}],"route":{"weights":{"v1":100}},"sketchInputs":["amount","hour"]}]}"#
        let spec = try RuntimeSpec.decode(json: Array(json.utf8))
        #expect(spec.model("m")?.sketchInputs == ["amount", "hour"])
        #expect(try RuntimeSpec.decode(json: Array(spec.jsonValue.serialized().utf8)) == spec)
    }

    @Test("a sketchInputs that is not a list of names is refused at its field")
    func refused() throws {
        let json = #"{"models":[{"name":"m","versions":[{"name":"v1","endpoint":"http://127.0.0.1:9000"}],"route":{"weights":{"v1":100}},"sketchInputs":["amount",3]}]}"#
        let error = try #require(throws: RuntimeSpecError.self) { try RuntimeSpec.decode(json: Array(json.utf8)) }
        #expect(error.issues.map(\.field) == ["models[0].sketchInputs[1]"])
    }

    @Test("named inputs of drift monitors and checks are sketched, and baselines compared with every input are read")
    func namesFromManifests() {
        let rollout = Rollout(steps: [.weight(10)], analysis: Analysis(checks: [
            AnalysisCheck(metric: .inputDrift, inputs: ["hour"], test: .psi, thresholds: Thresholds(max: 0.2)),
            AnalysisCheck(metric: .inputDrift, test: .psi, against: .reference, reference: "baselines/check.json", thresholds: Thresholds(max: 0.2)),
            AnalysisCheck(metric: .inputDrift, test: .psi, thresholds: Thresholds(max: 0.2)),
            AnalysisCheck(metric: .predictionDrift, test: .psi, against: .reference, reference: "baselines/outputs.json", thresholds: Thresholds(max: 0.2)),
        ]))
        let deployment = ModelDeployment(
            name: "fraud", runtime: "python-v2", versions: [ModelVersion(name: "v1", artifact: "a.json")], traffic: ["v1": 100],
            rollout: rollout,
            monitors: [
                Monitor(name: "a", metric: .inputDrift, inputs: ["amount"], test: .ks, reference: "baselines/a.json", thresholds: Thresholds(max: 0.1)),
                Monitor(name: "b", metric: .inputDrift, test: .ks, reference: "baselines/b.json", thresholds: Thresholds(max: 0.1)),
                Monitor(name: "c", metric: .accuracy, thresholds: Thresholds(min: 0.9)),
            ])
        let sketched = deployment.sketchedInputs
        #expect(sketched.names == ["amount", "hour"])
        #expect(sketched.baselines == ["baselines/b.json", "baselines/check.json"])
    }
}
