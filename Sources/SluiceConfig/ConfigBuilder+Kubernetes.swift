import Foundation
import SluiceCore

extension ConfigBuilder {
    /// The top-level `backend:` section; `.local` when absent or when `kind` is unusable (reported).
    mutating func readBackend(_ node: YAMLNode?) -> BackendConfig {
        guard let node, text(node["kind"]) == "kubernetes" else { return .local }
        let field = "backend"
        // A missing namespace was reported by the schema; the rest is still read.
        var config = KubernetesBackendConfig(namespace: text(node["namespace"]) ?? "")
        let driverText = text(node["driver"])
        if let driver = driverText.flatMap(KubernetesDriverChoice.init(rawValue:)) { config.driver = driver }
        if let gateway = node["gateway"] { config.gateway = gatewayReference(gateway) }
        // An unknown driver was reported by the schema and requires nothing more.
        let driverKnown = driverText.map { KubernetesDriverChoice(rawValue: $0) != nil } ?? true
        if driverKnown, config.driver == .gatewayAPI, node["gateway"] == nil {
            problem(node, "\(field).gateway", "driver 'gateway-api' requires 'gateway' (the Gateway every HTTPRoute attaches to: {name, namespace?, sectionName?})")
        }
        let context = text(node["context"])
        if let path = text(node["kubeconfig"]) {
            config.connection = .kubeconfig(path: resolve(path), context: context)
        } else if let contextNode = node["context"], context != nil {
            problem(contextNode, "\(field).context", "a context selects from a kubeconfig; give 'kubeconfig' too, or remove 'context' to use the in-cluster service account")
        }
        if let mirror = boolean(node["requestMirror"]) { config.requestMirror = mirror }
        if let mode = text(node["kserve"]?["deploymentMode"]).flatMap(KServeDeploymentMode.init(rawValue:)) {
            config.kserveDeploymentMode = mode
        }
        if let urlNode = node["collectorURL"], let url = text(urlNode) {
            if let reason = Self.httpURLProblem(url, credentials: "the collector takes no credentials in its URL") {
                problem(urlNode, "\(field).collectorURL", "expected an http:// or https:// URL with a host that pods can reach; found '\(url)': \(reason)")
            } else {
                config.collectorURL = url
            }
        }
        if let election = node["leaderElection"] { config.leaderElection = leaderElection(election) }
        return .kubernetes(config)
    }

    private mutating func gatewayReference(_ node: YAMLNode) -> GatewayReference? {
        let field = "backend.gateway"
        for key in ["name", "sectionName", "grpcSectionName"] {
            guard let valueNode = node[key], let value = text(valueNode), let reason = KubernetesNameRules.subdomainProblem(value) else { continue }
            problem(valueNode, "\(field).\(key)", "\(reason); expected \(KubernetesNameRules.subdomainExpectation)")
        }
        var hostname: String?
        if let hostNode = node["grpcHostname"], let template = text(hostNode) {
            if let reason = Self.grpcHostnameProblem(template) {
                problem(hostNode, "\(field).grpcHostname", "expected a hostname holding {model} once, such as {model}.grpc.example.com; found '\(template)': \(reason)")
            } else {
                hostname = template
            }
        }
        guard let name = text(node["name"]) else { return nil }
        return GatewayReference(
            name: name, namespace: text(node["namespace"]), sectionName: text(node["sectionName"]),
            grpcSectionName: text(node["grpcSectionName"]), grpcHostname: hostname)
    }

    /// Why a `grpcHostname` template is unusable: `{model}` not there exactly once, or (filled
    /// with a one-letter model) not a Gateway API `Hostname`: a DNS-1123 subdomain, no wildcard,
    /// not an IP address. A long model name can still overflow 253 characters: the renderer refuses that model.
    static func grpcHostnameProblem(_ template: String) -> String? {
        let placeholder = GatewayReference.modelPlaceholder
        guard template.components(separatedBy: placeholder).count == 2 else { return "{model} must appear exactly once (one hostname per model)" }
        let filled = template.replacingOccurrences(of: placeholder, with: "m")
        if let reason = KubernetesNameRules.subdomainProblem(filled) { return reason }
        if filled.split(separator: ".").allSatisfy({ $0.allSatisfy(\.isNumber) }) { return "an IP address is not a hostname" }
        return nil
    }

    private mutating func leaderElection(_ node: YAMLNode) -> LeaderElectionConfig? {
        let field = "backend.leaderElection"
        if boolean(node["enabled"]) == false { return nil }
        var config = LeaderElectionConfig()
        if let nameNode = node["leaseName"], let name = text(nameNode) {
            if let reason = KubernetesNameRules.subdomainProblem(name) {
                problem(nameNode, "\(field).leaseName", "\(reason); expected \(KubernetesNameRules.subdomainExpectation)")
            } else {
                config.leaseName = name
            }
        }
        // A Lease records its duration in whole seconds.
        if let durationNode = node["leaseDuration"], let value = duration(durationNode) {
            if value.milliseconds >= 1000, value.milliseconds % 1000 == 0, value.milliseconds <= 3_600_000 {
                config.leaseDuration = value
            } else {
                problem(durationNode, "\(field).leaseDuration", "expected whole seconds from 1s to 1h, found \(value)")
            }
        }
        if let value = duration(node["renewDeadline"]) { config.renewDeadline = value }
        if let value = duration(node["retryPeriod"]) { config.retryPeriod = value }
        // Checked on the effective values, defaults included, at the field that was given.
        if config.renewDeadline >= config.leaseDuration {
            problem(
                node["renewDeadline"] ?? node["leaseDuration"] ?? node, "\(field).renewDeadline",
                "expected less than leaseDuration (\(config.leaseDuration)), found \(config.renewDeadline)")
        }
        if config.retryPeriod.milliseconds < 100 || config.retryPeriod >= config.renewDeadline {
            problem(
                node["retryPeriod"] ?? node["renewDeadline"] ?? node, "\(field).retryPeriod",
                "expected at least 100ms and less than renewDeadline (\(config.renewDeadline)), found \(config.retryPeriod)")
        }
        return config
    }

    /// `runtimes.NAME.kubernetes`; nil when `image` is missing (reported by the schema).
    mutating func kubernetesRuntime(_ node: YAMLNode, field: String) -> KubernetesRuntime? {
        guard let image = text(node["image"]) else { return nil }
        var runtime = KubernetesRuntime(image: image)
        if image.isEmpty || image.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) {
            problem(node["image"] ?? node, "\(field).image", "expected an image reference such as registry/name:tag, found '\(image)'")
        }
        runtime.command = stringList(node["command"])
        runtime.args = stringList(node["args"]) ?? []
        if let port = integer(node["port"], in: 1...65535) { runtime.port = port }
        if let resources = node["resources"] { runtime.resources = self.resources(resources, field: "\(field).resources") }
        for entry in node["env"]?.entries ?? [] {
            guard let key = entry.key.scalar?.text, let value = text(entry.value) else { continue }
            if key.isEmpty || key.contains("=") || key.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value > 0x7E }) {
                problem(entry.key, "\(field).env.\(key)", "expected an environment variable name of printable ASCII without '=' or spaces, found '\(key)'")
            } else {
                runtime.env[key] = value
            }
        }
        if let path = readinessPath(node, field: field) { runtime.readinessPath = path }
        if let replicas = integer(node["replicas"], in: 1...1000) { runtime.replicas = replicas }
        checkGRPCPort(of: &runtime, node, field: field)
        return runtime
    }

    /// `grpcPort` read and checked against `port` and the templates: a gRPC port that is the
    /// HTTP port, or `{grpcPort}` named without a `grpcPort`, is reported at that field.
    private mutating func checkGRPCPort(of runtime: inout KubernetesRuntime, _ node: YAMLNode, field: String) {
        let grpcNode = node["grpcPort"]
        if let grpcPort = integer(grpcNode, in: 1...65535) {
            if grpcPort == runtime.port {
                problem(grpcNode ?? node, "\(field).grpcPort", "expected a port other than port (\(runtime.port)): the container serves HTTP and gRPC on separate ports, found \(grpcPort)")
            } else {
                runtime.grpcPort = grpcPort
            }
            return
        }
        guard grpcNode == nil else { return }
        let token = CommandTemplate.Placeholder.grpcPort.token
        let templates = (runtime.command ?? []) + runtime.args + runtime.env.values.sorted() + [runtime.readinessPath]
        if templates.contains(where: { $0.contains(token) }) {
            problem(node, "\(field).grpcPort", "missing: command, args, env or readinessPath name \(token), so the container needs a grpcPort (1-65535, not port)")
        }
    }

    /// `runtimes.NAME.kserve`; nil when `modelFormat` is missing (reported by the schema).
    mutating func kserveRuntime(_ node: YAMLNode, field: String) -> KServeRuntime? {
        guard let format = text(node["modelFormat"]) else { return nil }
        var runtime = KServeRuntime(modelFormat: format)
        if format.isEmpty || format.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 }) {
            problem(node["modelFormat"] ?? node, "\(field).modelFormat", "expected a model format name such as sklearn, found '\(format)'")
        }
        runtime.runtime = text(node["runtime"])
        if let version = text(node["protocolVersion"]) { runtime.protocolVersion = version }
        if let grpcPort = integer(node["grpcPort"], in: 1...65535) {
            if runtime.servesGRPC {
                runtime.grpcPort = grpcPort
            } else {
                problem(
                    node["grpcPort"] ?? node, "\(field).grpcPort",
                    "expected protocolVersion grpc-v1 or grpc-v2 with a grpcPort (KServe serves one protocol per predictor), found protocolVersion \(runtime.protocolVersion ?? "v2")")
            }
        }
        if let resources = node["resources"] { runtime.resources = self.resources(resources, field: "\(field).resources") }
        return runtime
    }

    /// `requests` and `limits` as JSON, every quantity checked and kept as its text.
    private mutating func resources(_ node: YAMLNode, field: String) -> JSONValue? {
        var members: [(String, JSONValue)] = []
        for key in ["requests", "limits"] {
            guard let entries = node[key]?.entries else { continue }
            var quantities: [(String, JSONValue)] = []
            for entry in entries {
                guard let name = entry.key.scalar?.text, let quantity = text(entry.value) else { continue }
                if let reason = KubernetesQuantity.problem(in: quantity) {
                    problem(entry.value, "\(field).\(key).\(name)", "expected a Kubernetes quantity such as 500m, 2Gi or 1.5; found '\(quantity)': \(reason)")
                } else {
                    quantities.append((name, .string(quantity)))
                }
            }
            members.append((key, .object(quantities)))
        }
        return members.isEmpty ? nil : .object(members)
    }

    /// A list of scalars as text, or nil when absent or unusable (reported by the schema).
    private func stringList(_ node: YAMLNode?) -> [String]? {
        guard let items = node?.items else { return nil }
        let values = items.compactMap(text)
        return values.count == items.count ? values : nil
    }
}
