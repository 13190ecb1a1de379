import SluiceCore

extension ConfigSchema {
    /// The top-level `backend:` section.
    static let backend = ObjectSchema(
        name: "Backend", plural: "backend sections",
        description: "Where models run: the local data plane, or a Kubernetes cluster (docs/kubernetes.md).",
        fields: [
            FieldSchema(
                "kind", .enumeration(["local", "kubernetes"]), required: true,
                "`local`: `sluice serve` through `controller.dataPlane`. `kubernetes`: objects in a cluster's namespace."),
            FieldSchema(
                "namespace", .string(.dnsLabel),
                "The namespace every model object is written to and read from (required for `kubernetes`)."),
            FieldSchema(
                "driver", .enumeration(KubernetesDriverChoice.allCases.map(\.rawValue)), default: "`gateway-api`",
                "`gateway-api`: a Deployment and Service per version and an HTTPRoute per model (and a GRPCRoute when its versions' runtimes have a `grpcPort`). `kserve`: an InferenceService per model. `auto`: KServe when the cluster serves it, else `gateway-api` (which then needs `gateway`)."),
            FieldSchema(
                "gateway", .object(gatewayReference),
                "The Gateway every HTTPRoute (and GRPCRoute) attaches to (required for `driver: gateway-api`)."),
            FieldSchema(
                "kubeconfig", .text(nil), default: "in-cluster",
                "A kubeconfig file (relative to this file's directory, `~` expanded). Without it the pod's service account is used: `KUBERNETES_SERVICE_HOST`/`PORT` and `/var/run/secrets/kubernetes.io/serviceaccount`."),
            FieldSchema("context", .text(nil), default: "the kubeconfig's `current-context`", "The kubeconfig context to use (only with `kubeconfig`)."),
            FieldSchema(
                "requestMirror", .boolean, default: "`true`",
                "Whether the Gateway implementation supports the HTTPRoute (and GRPCRoute) `RequestMirror` filter (Extended support); `false`: a manifest's mirror is not rendered and status says so."),
            FieldSchema("kserve", .object(backendKServe), "Settings of the `kserve` driver."),
            FieldSchema(
                "collectorURL", .text(nil), default: "none (drift and accuracy monitors get no data on `kserve`)",
                "The controller's KServe payload-logger collector as pods reach it: `http://` or `https://` with a host, e.g. `http://sluice.sluice-system.svc:8090/v1/collector/kserve`."),
            FieldSchema(
                "leaderElection", .object(leaderElection), default: "enabled with the defaults below",
                "A `coordination.k8s.io/v1` Lease in `namespace` held by one replica at a time; only the holder acts."),
        ],
        rules: [
            FieldRule(
                when: "kind", in: ["local"],
                forbids: ["namespace", "driver", "gateway", "kubeconfig", "context", "requestMirror", "kserve", "collectorURL", "leaderElection"],
                because: "it describes a cluster; use kind: kubernetes"),
            FieldRule(when: "kind", in: ["kubernetes"], requires: ["namespace"], because: "every model object is written to one namespace"),
            FieldRule(
                when: "driver", in: [KubernetesDriverChoice.kserve.rawValue], forbids: ["gateway", "requestMirror"],
                because: "InferenceServices are routed by KServe, not by an HTTPRoute of Sluice's"),
        ])

    /// `backend.gateway`.
    static let gatewayReference = ObjectSchema(
        name: "BackendGateway", plural: "gateway references",
        description: "The `parentRef` of every HTTPRoute and GRPCRoute.",
        fields: [
            FieldSchema("name", .text(nil), required: true, "The Gateway's name (a DNS-1123 subdomain)."),
            FieldSchema("namespace", .string(.dnsLabel), default: "`backend.namespace`", "The Gateway's namespace; its listener must allow routes from `backend.namespace`."),
            FieldSchema("sectionName", .text(nil), default: "every listener", "A listener of the Gateway to attach to (a DNS-1123 subdomain)."),
            FieldSchema(
                "grpcSectionName", .text(nil), default: "`sectionName`",
                "The listener GRPCRoutes attach to (one that allows GRPCRoutes and speaks HTTP/2)."),
            FieldSchema(
                "grpcHostname", .text(nil), default: "none: callers name the model in `x-sluice-model` metadata",
                "A hostname template holding `{model}` once (e.g. `{model}.grpc.example.com`; `{model}` is the model's object name): rendered as each GRPCRoute's `hostnames`, which then selects the model by `:authority` instead of the `x-sluice-model` header (docs/kubernetes-objects.md)."),
        ])

    /// `backend.kserve`.
    static let backendKServe = ObjectSchema(
        name: "BackendKServe", plural: "kserve sections",
        description: "The `kserve` driver.",
        fields: [
            FieldSchema(
                "deploymentMode", .enumeration(KServeDeploymentMode.allCases.map(\.rawValue)), default: "`Serverless`",
                "`Serverless` (Knative; canaries through `canaryTrafficPercent`) or `RawDeployment` (plain Deployments)."),
        ])

    /// `backend.leaderElection`.
    static let leaderElection = ObjectSchema(
        name: "BackendLeaderElection", plural: "leaderElection sections",
        description: "Leader election through a Lease.",
        fields: [
            FieldSchema("enabled", .boolean, default: "`true`", "`false`: every replica acts (run exactly one)."),
            FieldSchema("leaseName", .text(nil), default: "`sluice-controller`", "The Lease's name in `backend.namespace` (a DNS-1123 subdomain)."),
            FieldSchema(
                "leaseDuration", .string(.duration), default: "`15s`",
                "How long a lease holds without renewal; another replica takes over after it. Whole seconds from 1s to 1h."),
            FieldSchema(
                "renewDeadline", .string(.duration), default: "`10s`",
                "How long the leader keeps trying to renew before it stops acting; less than `leaseDuration`."),
            FieldSchema(
                "retryPeriod", .string(.duration), default: "`2s`",
                "How often a replica tries to acquire, and the leader renews; at least 100ms and less than `renewDeadline`."),
        ])

    /// `runtimes.NAME.kubernetes`.
    static let kubernetesRuntime = ObjectSchema(
        name: "RuntimeKubernetes", plural: "kubernetes runtime sections",
        description: "How a runtime runs as a container (`gateway-api` driver).",
        fields: [
            FieldSchema("image", .text(nil), required: true, "The container image, e.g. `seldonio/mlserver:1.7.1` (pin a tag or digest)."),
            FieldSchema(
                "command", .list(.text(nil), minItems: 1, uniqueField: nil), default: "the image's entrypoint",
                "The container's `command` (templated like `args`)."),
            FieldSchema(
                "args", .list(.text(nil), minItems: 0, uniqueField: nil), default: "none",
                "The container's `args`; `{model}`, `{version}`, `{artifactUri}` (the manifest's artifact URI, unchanged), `{port}` and `{grpcPort}` are filled in."),
            FieldSchema("port", .integer(minimum: 1, maximum: 65535), default: "`8080`", "The container port serving the V2 protocol."),
            FieldSchema(
                "grpcPort", .integer(minimum: 1, maximum: 65535), default: "none",
                "The container port serving the V2 protocol over gRPC (h2c), not `port`: rendered as a second container port named `h2c` and Service port `grpc`, and filled into `{grpcPort}`; required when `command`, `args` or `env` name `{grpcPort}` (docs/kubernetes-objects.md)."),
            FieldSchema("resources", .object(containerResources), default: "none", "The container's resource requests and limits."),
            FieldSchema("env", .map(keys: nil, values: .text(nil)), default: "none", "Environment variables of the container (templated)."),
            FieldSchema(
                "readinessPath", .text(nil), default: "`/v2/models/{model}/ready`",
                "The readiness probe's HTTP path, starting with `/` (templated)."),
            FieldSchema("replicas", .integer(minimum: 1, maximum: 1000), default: "`1`", "Pods per version."),
        ])

    /// `runtimes.NAME.kserve`.
    static let kserveRuntime = ObjectSchema(
        name: "RuntimeKServe", plural: "kserve runtime sections",
        description: "The KServe predictor a runtime maps to (`kserve` driver).",
        fields: [
            FieldSchema("modelFormat", .text(nil), required: true, "`spec.predictor.model.modelFormat.name`, e.g. `sklearn`."),
            FieldSchema("runtime", .string(.dnsLabel), default: "KServe's choice", "`spec.predictor.model.runtime`: a ServingRuntime or ClusterServingRuntime name."),
            FieldSchema(
                "protocolVersion", .enumeration(["v1", "v2", "grpc-v1", "grpc-v2"]), default: "`v2`",
                "`spec.predictor.model.protocolVersion`; `grpc-v2` (or `grpc-v1`) serves the protocol over gRPC, with the container port `h2c` rendered (docs/kubernetes-objects.md)."),
            FieldSchema(
                "grpcPort", .integer(minimum: 1, maximum: 65535), default: "`8081` (KServe's)",
                "The predictor's gRPC port with a `grpc-*` `protocolVersion`, rendered as `spec.predictor.model.ports: [{name: h2c, containerPort: grpcPort}]`; refused with `v1`/`v2`."),
            FieldSchema("resources", .object(containerResources), default: "none", "The predictor's resource requests and limits."),
        ])

    /// `resources` of a container or predictor.
    static let containerResources = ObjectSchema(
        name: "RuntimeResources", plural: "resources sections",
        description: "Resource requests and limits.",
        fields: [
            FieldSchema(
                "requests", .map(keys: nil, values: .text(nil)), default: "none",
                "Resource name to a Kubernetes quantity (`cpu: 500m`, `memory: 2Gi`, `nvidia.com/gpu: 1`)."),
            FieldSchema("limits", .map(keys: nil, values: .text(nil)), default: "none", "Resource name to a Kubernetes quantity."),
        ])
}
