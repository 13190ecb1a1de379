import SluiceConfig
import SluiceCore

/// The `gateway-api` driver: Gateway API v1 (standard channel, v1.6.1 CRDs) HTTPRoute
/// over a Deployment and a Service per version (and an HPA per autoscaling version).
extension KubernetesRenderer {
    /// Most rules and backendRefs an HTTPRoute holds (`maxItems: 16` in the v1.6.1 CRD).
    static let maxRouteItems = 16

    func gatewayAPIObjects(for model: ModelRuntime, revision: String?) throws(KubernetesRenderError) -> [KubernetesObject] {
        guard let gateway = context.gateway else {
            throw KubernetesRenderError(model: model.name, detail: "backend.gateway: the gateway-api driver needs the Gateway its HTTPRoutes attach to")
        }
        var runtimes: [String: KubernetesRuntime] = [:]
        for version in model.versions { runtimes[version.name] = try containerRuntime(of: version, model: model) }
        let pinRules = model.versions.count + model.route.pins.count
        guard pinRules + 1 <= Self.maxRouteItems else {
            throw KubernetesRenderError(
                model: model.name,
                detail: "versions: an HTTPRoute holds \(Self.maxRouteItems) rules; \(model.versions.count) versions and \(model.route.pins.count) pins need \(pinRules + 1)")
        }
        for pin in model.route.pins where model.version(pin.version) == nil {
            throw KubernetesRenderError(model: model.name, version: pin.version, detail: "route.pins: the pinned version is not in the spec")
        }
        for header in [context.pinHeader] + model.route.pins.map(\.header) where !Self.isHeaderName(header) {
            throw KubernetesRenderError(
                model: model.name, detail: "route.pins: \"\(header)\" is not an HTTP header name (RFC 7230 token, at most 256 characters)")
        }
        var objects: [KubernetesObject] = []
        for version in model.versions {
            guard let runtime = runtimes[version.name] else { continue }
            objects.append(service(version, model: model, runtime: runtime))
            objects.append(deployment(version, model: model, runtime: runtime))
            if let scaling = version.scaling, scaling.autoscales {
                objects.append(horizontalPodAutoscaler(version, model: model, scaling: scaling))
            }
        }
        objects.append(httpRoute(model, gateway: gateway, runtimes: runtimes, revision: revision))
        if rendersGRPCRoute(model) {
            try checkGRPCHeaders(model)
            objects.append(grpcRoute(model, gateway: gateway, runtimes: runtimes, revision: revision))
        }
        return objects
    }

    /// The model's HTTPRoute: a rule per pin (the pin header per version, then the route's
    /// own pins), then the default rule with the weighted backendRefs and the mirror.
    func httpRoute(_ model: ModelRuntime, gateway: GatewayReference, runtimes: [String: KubernetesRuntime], revision: String?) -> KubernetesObject {
        let path = JSONValue.object([("type", .string("PathPrefix")), ("value", .string("/v2/models/\(model.name)/"))])
        let backend = { (version: String, weight: Int?) -> JSONValue in
            .members([
                ("name", .string(KubernetesNames.versionObject(model: model.name, version: version))),
                ("port", .int(runtimes[version]?.port ?? 8080)),
                ("weight", weight.map { .int($0) }),
            ])
        }
        let pinRule = { (header: String, value: String, version: String) -> JSONValue in
            .object([
                ("matches", .array([.object([
                    ("path", path),
                    ("headers", .array([.object([("type", .string("Exact")), ("name", .string(header)), ("value", .string(value))])])),
                ])])),
                ("backendRefs", .array([backend(version, nil)])),
            ])
        }
        var rules = model.versions.map { pinRule(context.pinHeader, $0.name, $0.name) }
        rules += model.route.pins.map { pinRule($0.header, $0.value, $0.version) }
        rules.append(defaultRule(model, matches: .array([.object([("path", path)])]), backend: backend))
        return KubernetesObject(.object([
            ("apiVersion", .string(ResourceKind.httpRoute.apiVersion)),
            ("kind", .string(ResourceKind.httpRoute.kind)),
            ("metadata", metadata(name: KubernetesNames.modelObject(model: model.name), labels: labels(model: model.name),
                                  annotations: modelAnnotations(model, revision: revision))),
            ("spec", .object([
                ("parentRefs", .array([Self.parentRef(gateway)])),
                ("rules", .array(rules)),
            ])),
        ]))
    }

    /// A route's default rule: every version's backendRef at its weight, and the mirror as a
    /// `RequestMirror` filter when the Gateway implements it (GRPCRoute's filter is the same
    /// HTTPRequestMirrorFilter type). Weight-0 versions stay listed at 0: the backendRef set is
    /// the same at every step, and ResolvedRefs keeps checking the warm stable Service an abort flips back to.
    func defaultRule(_ model: ModelRuntime, matches: JSONValue, backend: (String, Int?) -> JSONValue) -> JSONValue {
        let weighted = model.versions.map { backend($0.name, model.route.weights[$0.name] ?? 0) }
        var filters: [JSONValue] = []
        if let mirror = model.route.mirror, context.requestMirror, model.version(mirror.version) != nil {
            filters.append(.object([
                ("type", .string("RequestMirror")),
                ("requestMirror", .object([("backendRef", backend(mirror.version, nil))] + Self.mirrorShare(mirror.percent))),
            ]))
        }
        return .members([
            ("matches", matches),
            ("filters", filters.isEmpty ? nil : .array(filters)),
            ("backendRefs", .array(weighted)),
        ])
    }

    /// The `parentRef` of every route: the configured Gateway, at `sectionName` (or, for a
    /// GRPCRoute, `grpcSectionName` when set).
    static func parentRef(_ gateway: GatewayReference, grpc: Bool = false) -> JSONValue {
        .members([
            ("group", .string("gateway.networking.k8s.io")), ("kind", .string("Gateway")), ("name", .string(gateway.name)),
            ("namespace", gateway.namespace.map { .string($0) }),
            ("sectionName", (grpc ? gateway.grpcSectionName ?? gateway.sectionName : gateway.sectionName).map { .string($0) }),
        ])
    }

    /// An HTTPHeaderName of the v1.6.1 CRD: 1–256 of the RFC 7230 token characters (its `pattern`).
    static func isHeaderName(_ name: String) -> Bool {
        let symbols = "!#$%&'*+-.^_`|~".unicodeScalars
        return (1...256).contains(name.utf8.count) && name.unicodeScalars.allSatisfy {
            $0.isASCII && (("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || symbols.contains($0))
        }
    }

    /// The mirrored share: `percent` when whole, else a `fraction` over 10,000 (both in the
    /// standard channel's HTTPRequestMirrorFilter since v1.3; only one may be set).
    static func mirrorShare(_ percent: Double) -> [(String, JSONValue)] {
        let clamped = min(max(percent, 0), 100)
        if clamped == clamped.rounded() { return [("percent", .int(Int(clamped)))] }
        return [("fraction", .object([("numerator", .int(Int((clamped * 100).rounded()))), ("denominator", .int(10_000))]))]
    }
}
