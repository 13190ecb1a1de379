import Foundation
import SluiceConfig
import SluiceCore
import SluiceKubernetes

/// The rollout states every driver is rendered in (golden files, schema contract, readers),
/// and the operator config they are rendered with.
enum RenderFixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Tests/SluiceKubernetesTests/Fixtures")

    static let runtimes: [String: RuntimeDefinition] = [
        "mlserver": RuntimeDefinition(
            command: ["mlserver", "start", "{artifact}"],
            kubernetes: KubernetesRuntime(
                image: "seldonio/mlserver:1.7.1", args: ["--model-uri", "{artifactUri}", "--http-port", "{port}"], port: 8080,
                resources: .object([("requests", .object([("cpu", .int(1)), ("memory", .string("2Gi"))]))]),
                env: ["MLSERVER_MODEL_NAME": "{model}", "MLSERVER_MODEL_VERSION": "{version}"]),
            kserve: KServeRuntime(
                modelFormat: "sklearn", runtime: "kserve-mlserver", protocolVersion: "v2",
                resources: .object([("requests", .object([("cpu", .string("1")), ("memory", .string("2Gi"))]))]))
        ),
        "triton": RuntimeDefinition(
            command: ["tritonserver"],
            kubernetes: KubernetesRuntime(
                image: "nvcr.io/nvidia/tritonserver:24.08-py3", command: ["tritonserver"],
                args: ["--model-repository={artifactUri}", "--http-port={port}"], port: 8000,
                readinessPath: "/v2/health/ready", replicas: 2),
            kserve: KServeRuntime(modelFormat: "triton", runtime: nil, protocolVersion: "v2")
        ),
        "local-only": RuntimeDefinition(command: ["python3", "server.py"]),
    ]

    static func config(collector: String? = "http://sluice.sluice-system.svc:8081/v1/collector/kserve",
                       mode: KServeDeploymentMode = .serverless, requestMirror: Bool = true) -> KubernetesBackendConfig {
        KubernetesBackendConfig(
            namespace: "models", driver: .gatewayAPI,
            gateway: GatewayReference(name: "inference", namespace: "gateways", sectionName: "http"),
            requestMirror: requestMirror, kserveDeploymentMode: mode, collectorURL: collector)
    }

    static func context(_ driver: KubernetesDriver, mode: KServeDeploymentMode = .serverless, requestMirror: Bool = true) -> KubernetesRenderContext {
        KubernetesRenderContext(config: config(mode: mode, requestMirror: requestMirror), driver: driver, runtimes: runtimes)
    }

    static let v1 = VersionRuntime(name: "v1", runtime: "mlserver", artifact: "s3://models/fraud/v1/model.joblib")
    static let v2 = VersionRuntime(
        name: "v2", runtime: "mlserver", artifact: "s3://models/fraud/v2/model.joblib",
        digest: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    static let v3 = VersionRuntime(name: "v3", runtime: "mlserver", artifact: "gs://models/fraud/v3/model.joblib")

    static func fraud(_ versions: [VersionRuntime], _ weights: [String: Int], pins: [Route.HeaderPin] = [],
                      sticky: String? = nil, mirror: Route.Mirror? = nil) -> ModelRuntime {
        ModelRuntime(
            name: "fraud-detector", versions: versions,
            route: Route(weights: weights, pins: pins, stickyHeader: sticky, mirror: mirror), sketchInputs: ["amount"])
    }

    /// One rollout state: its golden name, the model, and the revision it is rendered at.
    struct State {
        var name: String
        var model: ModelRuntime
        var revision: String
    }

    /// Every rollout state both drivers render (the controller lists the stable version first).
    static let states: [State] = [
        State(name: "first-deploy", model: fraud([v1], ["v1": 100]), revision: "1111111"),
        State(name: "canary-10", model: fraud([v1, v2], ["v1": 90, "v2": 10]), revision: "2222222"),
        State(name: "canary-mirror", model: fraud([v1, v2], ["v1": 90, "v2": 10], mirror: Route.Mirror(version: "v2", percent: 50)),
              revision: "2222222"),
        State(name: "canary-pins", model: fraud([v1, v2], ["v1": 90, "v2": 10], pins: [
            Route.HeaderPin(header: "x-user-group", value: "beta", version: "v2"),
        ], sticky: "x-session-id"), revision: "2222222"),
        State(name: "promoted", model: fraud([v1, v2], ["v1": 0, "v2": 100]), revision: "2222222"),
        State(name: "aborted", model: fraud([v1, v2], ["v1": 100, "v2": 0]), revision: "2222222"),
        // `git revert` after promotion: the reverted manifest's stable (v1) comes back at once.
        State(name: "fast-rollback", model: fraud([v2, v1], ["v2": 0, "v1": 100]), revision: "3333333"),
        State(name: "single-version", model: ModelRuntime(
            name: "Iris.Classifier",
            versions: [VersionRuntime(name: "2024.06", runtime: "triton", artifact: "pvc://models/iris/2024.06")],
            route: Route(weights: ["2024.06": 100])), revision: "4444444"),
    ]

    /// States only KServe's Standard mode renders (`spec.canary`).
    static let standardStates: [State] = [
        State(name: "standard-canary-10", model: fraud([v1, v2], ["v1": 90, "v2": 10]), revision: "2222222"),
        State(name: "standard-abn", model: fraud([v1, v2, v3], ["v1": 80, "v2": 10, "v3": 10]), revision: "5555555"),
        State(name: "standard-promoted", model: fraud([v2, v1], ["v2": 100, "v1": 0]), revision: "6666666"),
    ]

    /// A version with replica bounds.
    static func scaled(_ version: VersionRuntime, _ scaling: ReplicaScaling, name: String? = nil) -> VersionRuntime {
        var version = version
        version.scaling = scaling
        if let name { version.name = name }
        return version
    }

    /// Replica scaling (issue 21): fixed bounds, and a canary whose candidate (an artifact
    /// change, so `v1~canary`) autoscales on rps within its share while the stable version
    /// autoscales on concurrency.
    static let scalingStates: [State] = [
        State(name: "fixed-replicas", model: fraud([scaled(v1, .fixed(3))], ["v1": 100]), revision: "7777777"),
        State(name: "autoscaling-canary", model: fraud([
            scaled(v1, ReplicaScaling(minReplicas: 2, maxReplicas: 8, target: .concurrency(4), scaleDownDelay: .seconds(120))),
            scaled(v2, ReplicaScaling(minReplicas: 1, maxReplicas: 2, target: .rps(2.5), scaleDownDelay: .seconds(90)), name: "v1~canary"),
        ], ["v1": 75, "v1~canary": 25]), revision: "8888888"),
    ]

    /// The fixture runtimes plus `mlserver-grpc`, whose model server also serves gRPC on 8081.
    static let grpcRuntimes: [String: RuntimeDefinition] = runtimes.merging([
        "mlserver-grpc": RuntimeDefinition(
            command: ["mlserver", "start", "{artifact}"],
            kubernetes: KubernetesRuntime(
                image: "seldonio/mlserver:1.7.1", args: ["--model-uri", "{artifactUri}"], port: 8080, grpcPort: 8081,
                env: ["MLSERVER_GRPC_PORT": "{grpcPort}", "MLSERVER_HTTP_PORT": "{port}"]),
            kserve: KServeRuntime(modelFormat: "sklearn", runtime: "kserve-mlserver", protocolVersion: "grpc-v2", grpcPort: 8081)),
    ]) { old, _ in old }

    static func grpcContext(_ driver: KubernetesDriver, mode: KServeDeploymentMode = .serverless) -> KubernetesRenderContext {
        KubernetesRenderContext(config: config(mode: mode), driver: driver, runtimes: grpcRuntimes)
    }

    static let grpcV1 = VersionRuntime(name: "v1", runtime: "mlserver-grpc", artifact: "s3://models/fraud/v1/model.joblib")
    static let grpcV2 = VersionRuntime(name: "v2", runtime: "mlserver-grpc", artifact: "s3://models/fraud/v2/model.joblib")

    /// Models served over gRPC too (issue 18): a GRPCRoute next to the HTTPRoute on `gateway-api`
    /// (weights, pins, a fractional mirror; weight 0 kept), `grpc-v2` predictors on `kserve`.
    static let grpcStates: [State] = [
        State(name: "grpc-canary", model: fraud([grpcV1, grpcV2], ["v1": 90, "v2": 10], pins: [
            Route.HeaderPin(header: "x-user-group", value: "beta", version: "v2"),
        ], mirror: Route.Mirror(version: "v2", percent: 12.5)), revision: "9999999"),
        State(name: "grpc-promoted", model: fraud([grpcV1, grpcV2], ["v1": 0, "v2": 100]), revision: "9999999"),
    ]

    /// Every (golden directory, context, state) rendered.
    static var cases: [(directory: String, context: KubernetesRenderContext, state: State)] {
        let standardScaling = scalingStates.map { State(name: "standard-\($0.name)", model: $0.model, revision: $0.revision) }
        return (states + scalingStates).map { ("gateway-api", context(.gatewayAPI), $0) }
            + (states + scalingStates).map { ("kserve", context(.kserve), $0) }
            + (standardStates + standardScaling).map { ("kserve", context(.kserve, mode: .rawDeployment), $0) }
            + grpcStates.map { ("gateway-api", grpcContext(.gatewayAPI), $0) }
            + grpcStates.map { ("kserve", grpcContext(.kserve), $0) }
    }

    static func render(_ context: KubernetesRenderContext, _ state: State) throws -> [KubernetesObject] {
        try KubernetesRenderer(context: context).objects(for: state.model, revision: state.revision)
    }
}
