import SluiceConfig
import SluiceCore

/// The `kserve` driver: one `serving.kserve.io/v1beta1` InferenceService per model, as
/// KServe v0.20.0 defines it (`config/crd/full/serving.kserve.io_inferenceservices.yaml`,
/// `pkg/apis/serving/v1beta1`).
///
/// - Serverless (Knative): `spec.predictor` is the newest version and
///   `spec.predictor.canaryTrafficPercent` its share; KServe keeps the previous rolled-out
///   revision at the rest. 0 pins traffic back to it (abort); no field means rolled out.
/// - Standard (formerly RawDeployment): `spec.predictor` is the stable version and
///   `spec.canary[]` the others, each a named predictor with a `trafficPercent` (0: dark).
/// Pins, sticky headers and mirrors have no KServe field: they are not rendered (docs/kubernetes-objects.md).
extension KubernetesRenderer {
    func inferenceService(for model: ModelRuntime, revision: String?) throws(KubernetesRenderError) -> KubernetesObject {
        var runtimes: [String: KServeRuntime] = [:]
        for version in model.versions {
            let definition = try runtime(of: version, model: model)
            guard let kserve = definition.kserve else {
                throw KubernetesRenderError(
                    model: model.name, version: version.name,
                    detail: "runtime \"\(version.runtime ?? "")\": no kserve section (modelFormat, runtime) says which KServe predictor serves it")
            }
            runtimes[version.name] = kserve
        }
        let weight = { (version: VersionRuntime) in model.route.weights[version.name] ?? 0 }
        var annotations = modelAnnotations(model, revision: revision)
        var spec: [(String, JSONValue)]
        let shown: String
        switch context.kserveDeploymentMode {
        case .serverless:
            annotations[KubernetesAnnotations.kserveDeploymentMode] = KServeDeploymentMode.serverless.rawValue
            // The versions KServe can hold: those with traffic, and the newest (listed last).
            guard let newest = model.versions.last else { throw KubernetesRenderError(model: model.name, detail: "versions: none") }
            let held = model.versions.filter { weight($0) > 0 || $0 == newest }
            guard held.count <= 2 else {
                throw KubernetesRenderError(
                    model: model.name,
                    detail: "route.weights: KServe Serverless splits traffic between two revisions only (latest and previous); "
                        + "\(held.map(\.name).joined(separator: ", ")) have traffic. Use backend.kserve.deploymentMode: RawDeployment (spec.canary) for A/B/n")
            }
            var predictor = predictorSpec(newest, model: model, runtime: runtimes[newest.name], name: nil)
            if held.count == 2, let previous = held.first {
                predictor.insert(("canaryTrafficPercent", .int(weight(newest))), at: 0)
                annotations[KubernetesAnnotations.previousVersion] = previous.name
            }
            spec = [("predictor", .object(predictor))]
            shown = newest.name
        case .rawDeployment:
            annotations[KubernetesAnnotations.kserveDeploymentMode] = "Standard"
            guard let stable = model.versions.first else { throw KubernetesRenderError(model: model.name, detail: "versions: none") }
            spec = [("predictor", .object(predictorSpec(stable, model: model, runtime: runtimes[stable.name], name: nil)))]
            let canaries: [JSONValue] = model.versions.dropFirst().map { version in
                .object([
                    ("predictor", .object(predictorSpec(version, model: model, runtime: runtimes[version.name],
                                                        name: KubernetesNames.dns1035(raw: version.name, identity: version.name)))),
                    ("trafficPercent", .int(weight(version))),
                ])
            }
            if !canaries.isEmpty { spec.append(("canary", .array(canaries))) }
            shown = stable.name
        }
        annotations[KubernetesAnnotations.version] = shown
        return KubernetesObject(.object([
            ("apiVersion", .string(ResourceKind.inferenceService.apiVersion)),
            ("kind", .string(ResourceKind.inferenceService.kind)),
            ("metadata", metadata(name: KubernetesNames.modelObject(model: model.name),
                                  labels: labels(model: model.name, version: shown), annotations: annotations)),
            ("spec", .object(spec)),
        ]))
    }

    /// A predictor running one version: `model` with the artifact as `storageUri`, and the
    /// payload logger pointed at the collector under `/{model}/{version}` (the path is how
    /// the collector attributes events).
    func predictorSpec(_ version: VersionRuntime, model: ModelRuntime, runtime: KServeRuntime?, name: String?) -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = []
        if let name { members.append(("name", .string(name))) }
        // Pod annotations: a new digest under the same URI makes a new revision.
        if let digest = version.digest { members.append(("annotations", .strings([KubernetesAnnotations.digest: digest]))) }
        if let collector = context.collectorURL {
            let base = collector.hasSuffix("/") ? String(collector.dropLast()) : collector
            let url = "\(base)/\(Self.pathSegment(model.name))/\(Self.pathSegment(version.name))"
            members.append(("logger", .object([("mode", .string("all")), ("url", .string(url))])))
        }
        members += predictorScaling(version.scaling)
        members.append(("model", .members([
            // The v0.20.0 CRD requires the container `name` in canary predictors' `model`
            // (not in the main predictor's, which KServe defaults); KServe's own default is used.
            ("name", name == nil ? nil : .string("kserve-container")),
            ("modelFormat", .object([("name", .string(runtime?.modelFormat ?? ""))])),
            ("runtime", runtime?.runtime.map { .string($0) }),
            ("protocolVersion", runtime?.protocolVersion.map { .string($0) }),
            ("storageUri", .string(version.artifact ?? "")),
            ("ports", Self.predictorPorts(runtime)),
            ("resources", Self.resources(runtime?.resources)),
        ])))
        return members
    }

    /// The predictor container's ports: with a `grpc-*` protocol version, the one port `h2c`
    /// (Knative allows one port per container and routes HTTP/2 to it by that name, as
    /// KServe's own gRPC samples do); nil otherwise (the ServingRuntime's port is used).
    static func predictorPorts(_ runtime: KServeRuntime?) -> JSONValue? {
        guard let runtime, runtime.servesGRPC else { return nil }
        return .array([.object([
            ("name", .string("h2c")), ("containerPort", .int(runtime.grpcPort ?? KServeRuntime.defaultGRPCPort)), ("protocol", .string("TCP")),
        ])])
    }

    /// The predictor's replica fields (KServe's `ComponentExtensionSpec`): the bounds always;
    /// the metric and its target (rounded up: `scaleTarget` is an integer) in Serverless mode
    /// only, where Knative's autoscaler reads `concurrency` and `rps`. In Standard mode
    /// KServe's HPA scales on `cpu` or `memory` only (its webhook refuses other metrics), so
    /// the request target is not rendered there (docs/kubernetes-objects.md).
    func predictorScaling(_ scaling: ReplicaScaling?) -> [(String, JSONValue)] {
        guard let scaling else { return [] }
        var members: [(String, JSONValue)] = [("minReplicas", .int(scaling.minReplicas)), ("maxReplicas", .int(scaling.maxReplicas))]
        if context.kserveDeploymentMode == .serverless, let target = Self.kserveScaleTarget(scaling.target.value) {
            members.append(("scaleMetric", .string(scaling.target.metric.rawValue)))
            members.append(("scaleTarget", .int(target)))
        }
        return members
    }

    /// `text` percent-encoded for one URL path segment (RFC 3986 unreserved kept).
    static func pathSegment(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || "-._~".unicodeScalars.contains(scalar) {
                output.unicodeScalars.append(scalar)
            } else {
                output += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return output
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
