import SluiceConfig
import SluiceCore
import SluiceKubernetes
import Testing

/// What cannot run on a cluster is refused with the model, the version and the field.
@Suite("Rendering errors and names: bad input is refused clearly; names are valid and stable", .timeLimit(.minutes(10)))
struct RenderErrorTests {
    static func error(_ driver: KubernetesDriver, _ model: ModelRuntime, gateway: Bool = true) -> KubernetesRenderError? {
        var context = RenderFixtures.context(driver)
        if !gateway { context.gateway = nil }
        do {
            _ = try KubernetesRenderer(context: context).objects(for: model, revision: nil)
            return nil
        } catch {
            return error
        }
    }

    static func one(_ version: VersionRuntime) -> ModelRuntime {
        ModelRuntime(name: "fraud-detector", versions: [version], route: Route(weights: [version.name: 100]))
    }

    @Test("unknown runtime, runtime without a kubernetes or kserve section, repository path, endpoint")
    func refusals() {
        let unknown = Self.error(.gatewayAPI, Self.one(VersionRuntime(name: "v1", runtime: "sklearn", artifact: "s3://models-a/b")))
        #expect(unknown?.description == "model fraud-detector, version v1: runtime: \"sklearn\" is not defined in the operator's config (runtimes: local-only, mlserver, triton)")
        let local = Self.error(.gatewayAPI, Self.one(VersionRuntime(name: "v1", runtime: "local-only", artifact: "s3://models-a/b")))
        #expect(local?.detail.hasPrefix("runtime \"local-only\": no kubernetes section") == true)
        #expect(Self.error(.kserve, Self.one(VersionRuntime(name: "v1", runtime: "local-only", artifact: "s3://models-a/b")))?.detail
            .hasPrefix("runtime \"local-only\": no kserve section") == true)
        let path = Self.error(.kserve, Self.one(VersionRuntime(name: "v1", runtime: "mlserver", artifact: "models/fraud/v1.joblib")))
        #expect(path?.version == "v1")
        #expect(path?.detail.hasPrefix("artifact: \"models/fraud/v1.joblib\" is a repository path, which a cluster cannot read") == true)
        let scheme = Self.error(.kserve, Self.one(VersionRuntime(name: "v1", runtime: "mlserver", artifact: "file:///tmp/m")))
        #expect(scheme?.detail.hasPrefix("artifact: file:// URIs can point outside the repository") == true, "\(scheme?.detail ?? "")")
        #expect(scheme?.detail.hasSuffix("expected s3://, gs://, https://, pvc://, hf:// or oci://") == true)
        let mlflow = Self.error(.kserve, Self.one(VersionRuntime(name: "v1", runtime: "mlserver", artifact: "models:/iris/2")))
        #expect(mlflow?.detail.hasPrefix("artifact: models:/ is resolved by Sluice's local backend") == true)
        let endpoint = Self.error(.gatewayAPI, Self.one(VersionRuntime(name: "v1", endpoint: "http://127.0.0.1:9000")))
        #expect(endpoint?.detail.hasPrefix("endpoint: an existing upstream cannot run on the kubernetes backend") == true)
        #expect(Self.error(.gatewayAPI, RenderFixtures.states[0].model, gateway: false)?.detail.hasPrefix("backend.gateway:") == true)
    }

    @Test("kserve Serverless refuses three versions with traffic and points at Standard mode")
    func serverlessABN() {
        let error = Self.error(.kserve, RenderFixtures.standardStates[1].model)
        #expect(error?.detail.contains("KServe Serverless splits traffic between two revisions only") == true)
        #expect(error?.detail.contains("v1, v2, v3") == true)
    }

    @Test("a pin header that is not an HTTP header name is refused")
    func badPinHeader() {
        var model = RenderFixtures.states[1].model
        model.route.pins = [Route.HeaderPin(header: "x user", value: "beta", version: "v2")]
        #expect(Self.error(.gatewayAPI, model)?.detail == "route.pins: \"x user\" is not an HTTP header name (RFC 7230 token, at most 256 characters)")
    }

    @Test("more versions than an HTTPRoute has rules for is refused")
    func tooManyRules() {
        let versions = (1...16).map { VersionRuntime(name: "v\($0)", runtime: "mlserver", artifact: "s3://models-m/\($0)") }
        var weights = Dictionary(uniqueKeysWithValues: versions.map { ($0.name, 0) })
        weights["v1"] = 100
        let error = Self.error(.gatewayAPI, ModelRuntime(name: "m", versions: versions, route: Route(weights: weights)))
        #expect(error?.detail.hasPrefix("versions: an HTTPRoute holds 16 rules") == true)
    }

    @Test("names are DNS-1035 labels of at most 63 characters, hashed when sanitized, distinct when inputs differ")
    func names() {
        #expect(KubernetesNames.versionObject(model: "fraud-detector", version: "v1") == "fraud-detector-v1")
        let canary = KubernetesNames.versionObject(model: "fraud-detector", version: "v2~canary")
        #expect(canary.hasPrefix("fraud-detector-v2-canary-") && canary.count == "fraud-detector-v2-canary-".count + 8)
        let long = KubernetesNames.versionObject(model: String(repeating: "m", count: 60), version: "v1.2.3")
        #expect(long.count == 63)
        #expect(KubernetesNames.versionObject(model: String(repeating: "m", count: 60), version: "v1.2.4") != long)
        #expect(KubernetesNames.modelObject(model: "9lives").first == "l" || KubernetesNames.modelObject(model: "9lives").hasPrefix("lives-"))
        for name in [canary, long, KubernetesNames.modelObject(model: "Iris.Classifier"), KubernetesNames.modelObject(model: "9lives")] {
            #expect(RenderUpstreamRule.isDNS1035Label(name), "\(name)")
        }
        #expect(KubernetesNames.labelValue("v2~canary") != "v2~canary")
        #expect(RenderUpstreamRule.isLabelValue(KubernetesNames.labelValue("v2~canary")))
        #expect(KubernetesNames.labelValue("v2.1") == "v2.1")
    }
}
