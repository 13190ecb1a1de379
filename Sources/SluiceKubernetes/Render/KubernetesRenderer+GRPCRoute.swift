import SluiceConfig
import SluiceCore

/// The `gateway-api` driver's GRPCRoute (Gateway API v1, standard channel, v1.6.1 CRDs) for a
/// model whose versions all serve the Open Inference Protocol over gRPC (`grpcPort`), so the
/// model's weights, pins and mirror split gRPC calls on a cluster as they do HTTP requests.
///
/// A gRPC call names its model inside the protobuf body, which no GRPCRoute match can read,
/// and every model shares one Gateway (no per-model hostname, unlike KServe's per-
/// InferenceService host): each rule matches the metadata header `x-sluice-model: <model>`
/// (the caller sets it as it sets the pin header), on the model methods of
/// `inference.GRPCInferenceService`.
extension KubernetesRenderer {
    /// The metadata header that selects a model's GRPCRoute (the local gateway echoes it on answers).
    public static let modelHeader = "x-sluice-model"
    /// The service every rule matches, and its methods that name a model (ServerLive and
    /// ServerReady name none, so no model's route carries them).
    static let grpcService = "inference.GRPCInferenceService"
    static let grpcModelMethods = ["ModelInfer", "ModelMetadata", "ModelReady"]

    /// Whether `model` gets a GRPCRoute: every version's runtime has a `grpcPort` (a weighted
    /// split cannot send calls to a version that does not serve gRPC).
    public func rendersGRPCRoute(_ model: ModelRuntime) -> Bool {
        context.driver == .gatewayAPI && !model.versions.isEmpty && model.versions.allSatisfy { version in
            version.runtime.flatMap { context.runtimes[$0]?.kubernetes?.grpcPort } != nil
        }
    }

    /// Refuses pin headers a GRPCRoute match cannot hold next to the model header (its
    /// `headers` list is keyed by name, compared without case).
    func checkGRPCHeaders(_ model: ModelRuntime) throws(KubernetesRenderError) {
        if context.pinHeader.lowercased() == Self.modelHeader {
            throw KubernetesRenderError(
                model: model.name, detail: "serve.pinHeader: \"\(context.pinHeader)\" is the GRPCRoute's model header; choose another pin header")
        }
        for pin in model.route.pins where pin.header.lowercased() == Self.modelHeader {
            throw KubernetesRenderError(
                model: model.name, version: pin.version,
                detail: "route.pins: \"\(pin.header)\" is the GRPCRoute's model header (\(Self.modelHeader)); pin on another header")
        }
    }

    /// The model's GRPCRoute: the HTTPRoute's rules (a rule per pin, then the default rule with
    /// the weighted backendRefs and the mirror) with gRPC matches, to each version's Service port `grpc`.
    func grpcRoute(_ model: ModelRuntime, gateway: GatewayReference, runtimes: [String: KubernetesRuntime], revision: String?) -> KubernetesObject {
        let modelMatch = JSONValue.object([("type", .string("Exact")), ("name", .string(Self.modelHeader)), ("value", .string(model.name))])
        let matches = { (pin: JSONValue?) -> JSONValue in
            .array(Self.grpcModelMethods.map { method in
                .object([
                    ("method", .object([("type", .string("Exact")), ("service", .string(Self.grpcService)), ("method", .string(method))])),
                    ("headers", .array([modelMatch] + (pin.map { [$0] } ?? []))),
                ])
            })
        }
        let backend = { (version: String, weight: Int?) -> JSONValue in
            .members([
                ("name", .string(KubernetesNames.versionObject(model: model.name, version: version))),
                ("port", .int(runtimes[version]?.grpcPort ?? 8081)),
                ("weight", weight.map { .int($0) }),
            ])
        }
        let pinRule = { (header: String, value: String, version: String) -> JSONValue in
            .object([
                ("matches", matches(.object([("type", .string("Exact")), ("name", .string(header)), ("value", .string(value))]))),
                ("backendRefs", .array([backend(version, nil)])),
            ])
        }
        var rules = model.versions.map { pinRule(context.pinHeader, $0.name, $0.name) }
        rules += model.route.pins.map { pinRule($0.header, $0.value, $0.version) }
        rules.append(defaultRule(model, matches: matches(nil), backend: backend))
        var annotations: [String: String] = [:]
        if let revision { annotations[KubernetesAnnotations.revision] = revision }
        return KubernetesObject(.object([
            ("apiVersion", .string(ResourceKind.grpcRoute.apiVersion)),
            ("kind", .string(ResourceKind.grpcRoute.kind)),
            ("metadata", metadata(name: KubernetesNames.modelObject(model: model.name), labels: labels(model: model.name), annotations: annotations)),
            ("spec", .object([
                ("parentRefs", .array([Self.parentRef(gateway)])),
                ("rules", .array(rules)),
            ])),
        ]))
    }
}
