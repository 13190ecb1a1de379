import SluiceConfig
import SluiceCore

extension KubernetesRenderer {
    /// The container settings of a version on the `gateway-api` driver.
    func containerRuntime(of version: VersionRuntime, model: ModelRuntime) throws(KubernetesRenderError) -> KubernetesRuntime {
        let definition = try runtime(of: version, model: model)
        guard let container = definition.kubernetes else {
            throw KubernetesRenderError(
                model: model.name, version: version.name,
                detail: "runtime \"\(version.runtime ?? "")\": no kubernetes section (image, port, args) says how it runs as a container")
        }
        // The config reader refuses both; a runtime built another way is checked here too.
        if let grpcPort = container.grpcPort, grpcPort == container.port {
            throw KubernetesRenderError(
                model: model.name, version: version.name,
                detail: "runtime \"\(version.runtime ?? "")\": kubernetes.grpcPort \(grpcPort) is also kubernetes.port; HTTP and gRPC need separate ports")
        }
        let token = CommandTemplate.Placeholder.grpcPort.token
        if container.grpcPort == nil,
           ((container.command ?? []) + container.args + Array(container.env.values) + [container.readinessPath]).contains(where: { $0.contains(token) }) {
            throw KubernetesRenderError(
                model: model.name, version: version.name,
                detail: "runtime \"\(version.runtime ?? "")\": kubernetes.grpcPort is not set, but its command, args, env or readinessPath name \(token)")
        }
        return container
    }

    /// The Deployment of one version. Its selector (model and version labels) never changes
    /// for the object's life: the name is derived from the same two values.
    func deployment(_ version: VersionRuntime, model: ModelRuntime, runtime: KubernetesRuntime) -> KubernetesObject {
        let name = KubernetesNames.versionObject(model: model.name, version: version.name)
        let selector = labels(model: model.name, version: version.name).filter { $0.key != KubernetesLabels.managedBy }
        var annotations = [KubernetesAnnotations.version: version.name]
        if let digest = version.digest { annotations[KubernetesAnnotations.digest] = digest }
        let fill = { (text: String) in Self.template(text, model: model.name, version: version, port: runtime.port, grpcPort: runtime.grpcPort) }
        let env: [JSONValue] = runtime.env.sorted { $0.key < $1.key }.map {
            .object([("name", .string($0.key)), ("value", .string(fill($0.value)))])
        }
        let container = JSONValue.members([
            ("name", .string("model")),
            ("image", .string(runtime.image)),
            ("command", runtime.command.map { .array($0.map { .string(fill($0)) }) }),
            ("args", runtime.args.isEmpty ? nil : .array(runtime.args.map { .string(fill($0)) })),
            ("env", env.isEmpty ? nil : .array(env)),
            ("ports", .array(Self.containerPorts(runtime))),
            ("readinessProbe", .object([
                ("httpGet", .object([("path", .string(fill(runtime.readinessPath))), ("port", .string("http"))])),
                ("periodSeconds", .int(5)),
            ])),
            ("resources", Self.resources(runtime.resources)),
            ("securityContext", .object([
                ("allowPrivilegeEscalation", .bool(false)),
                ("capabilities", .object([("drop", .array([.string("ALL")]))])),
                ("runAsNonRoot", .bool(true)),
            ])),
        ])
        // The digest on the pod template too: a new artifact under the same URI restarts the pods.
        let podAnnotations = version.digest.map { [KubernetesAnnotations.digest: $0] } ?? [:]
        return KubernetesObject(.object([
            ("apiVersion", .string(ResourceKind.deployment.apiVersion)),
            ("kind", .string(ResourceKind.deployment.kind)),
            ("metadata", metadata(name: name, labels: labels(model: model.name, version: version.name), annotations: annotations)),
            ("spec", .members([
                // Left out when an HPA owns it: an applied value would reset the HPA's choice each pass.
                ("replicas", Self.deploymentReplicas(version, runtime: runtime).map { .int($0) }),
                ("selector", .object([("matchLabels", .strings(selector))])),
                ("template", .object([
                    ("metadata", .members([
                        ("labels", .strings(labels(model: model.name, version: version.name))),
                        ("annotations", podAnnotations.isEmpty ? nil : .strings(podAnnotations)),
                    ])),
                    ("spec", .object([
                        ("securityContext", .object([
                            ("runAsNonRoot", .bool(true)),
                            ("seccompProfile", .object([("type", .string("RuntimeDefault"))])),
                        ])),
                        ("containers", .array([container])),
                    ])),
                ])),
            ])),
        ]))
    }

    /// The container's ports: `http`, and `h2c` for a runtime with a `grpcPort` (the name by
    /// which Knative and KServe tell an HTTP/2 cleartext port, i.e. gRPC, from HTTP/1).
    static func containerPorts(_ runtime: KubernetesRuntime) -> [JSONValue] {
        var ports: [JSONValue] = [.object([("name", .string("http")), ("containerPort", .int(runtime.port)), ("protocol", .string("TCP"))])]
        if let grpcPort = runtime.grpcPort {
            ports.append(.object([("name", .string("h2c")), ("containerPort", .int(grpcPort)), ("protocol", .string("TCP"))]))
        }
        return ports
    }

    /// The Service's ports, each the container port of the same number: `http`, and `grpc`
    /// (to the `h2c` container port) with `appProtocol: kubernetes.io/h2c`, so that Gateways
    /// and meshes speak HTTP/2 without TLS to it.
    static func servicePorts(_ runtime: KubernetesRuntime) -> [JSONValue] {
        var ports: [JSONValue] = [.object([
            ("name", .string("http")), ("port", .int(runtime.port)), ("targetPort", .string("http")), ("protocol", .string("TCP")),
        ])]
        if let grpcPort = runtime.grpcPort {
            ports.append(.object([
                ("name", .string("grpc")), ("port", .int(grpcPort)), ("targetPort", .string("h2c")), ("protocol", .string("TCP")),
                ("appProtocol", .string("kubernetes.io/h2c")),
            ]))
        }
        return ports
    }

    /// The ClusterIP Service in front of one version's pods; its ports are the container's.
    func service(_ version: VersionRuntime, model: ModelRuntime, runtime: KubernetesRuntime) -> KubernetesObject {
        let name = KubernetesNames.versionObject(model: model.name, version: version.name)
        let selector = labels(model: model.name, version: version.name).filter { $0.key != KubernetesLabels.managedBy }
        return KubernetesObject(.object([
            ("apiVersion", .string(ResourceKind.service.apiVersion)),
            ("kind", .string(ResourceKind.service.kind)),
            ("metadata", metadata(name: name, labels: labels(model: model.name, version: version.name),
                                  annotations: [KubernetesAnnotations.version: version.name])),
            ("spec", .object([
                ("type", .string("ClusterIP")),
                ("selector", .strings(selector)),
                ("ports", .array(Self.servicePorts(runtime))),
            ])),
        ]))
    }

    /// `metadata` of a rendered object in the context's namespace.
    func metadata(name: String, labels: [String: String], annotations: [String: String]) -> JSONValue {
        .members([
            ("name", .string(name)),
            ("namespace", .string(context.namespace)),
            ("labels", .strings(labels)),
            ("annotations", annotations.isEmpty ? nil : .strings(annotations)),
        ])
    }
}
