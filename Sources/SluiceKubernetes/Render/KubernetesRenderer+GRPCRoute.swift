import Foundation
import SluiceConfig
import SluiceCore

/// The `gateway-api` driver's GRPCRoute (Gateway API v1, standard channel, v1.6.1 CRDs) for a
/// model whose versions all serve the Open Inference Protocol over gRPC (`grpcPort`), so the
/// model's weights, pins and mirror split gRPC calls on a cluster as they do HTTP requests.
///
/// A gRPC call names its model inside the protobuf body, which no GRPCRoute match can read,
/// and every model shares one Gateway: each rule matches the metadata header
/// `x-sluice-model: <model>` (the caller sets it as it sets the pin header), on the model
/// methods of `inference.GRPCInferenceService` — or, with `backend.gateway.grpcHostname`, the
/// route's `hostnames` select the model by `:authority` (KServe's way: a host per model) and
/// no model header is matched.
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
        if let hostname = grpcHostname(model), hostname.utf8.count > 253 {
            throw KubernetesRenderError(
                model: model.name, detail: "backend.gateway.grpcHostname: \"\(hostname.prefix(40))…\" is longer than 253 characters for this model")
        }
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

    /// The model's hostname from `backend.gateway.grpcHostname` (`{model}` = its object name, a DNS label).
    func grpcHostname(_ model: ModelRuntime) -> String? {
        context.gateway?.grpcHostname?.replacingOccurrences(
            of: GatewayReference.modelPlaceholder, with: KubernetesNames.modelObject(model: model.name))
    }

    /// The model's GRPCRoute: the HTTPRoute's rules (a rule per pin, then the default rule with
    /// the weighted backendRefs and the mirror) with gRPC matches, to each version's Service port `grpc`.
    func grpcRoute(_ model: ModelRuntime, gateway: GatewayReference, runtimes: [String: KubernetesRuntime], revision: String?) -> KubernetesObject {
        let hostname = grpcHostname(model)
        // A hostname selects the model; without one, the model header does.
        let modelMatch: [JSONValue] = hostname != nil ? [] : [
            .object([("type", .string("Exact")), ("name", .string(Self.modelHeader)), ("value", .string(model.name))]),
        ]
        let matches = { (pin: JSONValue?) -> JSONValue in
            .array(Self.grpcModelMethods.map { method in
                let headers = modelMatch + (pin.map { [$0] } ?? [])
                return .members([
                    ("method", .object([("type", .string("Exact")), ("service", .string(Self.grpcService)), ("method", .string(method))])),
                    ("headers", headers.isEmpty ? nil : .array(headers)),
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
            ("spec", .members([
                ("parentRefs", .array([Self.parentRef(gateway, grpc: true)])),
                ("hostnames", hostname.map { .array([.string($0)]) }),
                ("rules", .array(rules)),
            ])),
        ]))
    }
}
