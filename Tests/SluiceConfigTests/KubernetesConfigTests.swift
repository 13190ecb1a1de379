import Foundation
import SluiceConfig
import SluiceCore
import Testing

/// `backend:` and `runtimes.NAME.kubernetes` / `kserve`: what an operator writes to run
/// models on a cluster, read into typed values with every default stated.
@Suite("kubernetes backend config", .timeLimit(.minutes(10)))
struct KubernetesConfigTests: ConfigParsing {
    /// The Kubernetes backend of a file whose `backend:` section holds `lines`.
    func backend(_ lines: String, rest: String = "") throws -> KubernetesBackendConfig? {
        let indented = lines.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
        guard case .kubernetes(let config) = try configuration("backend:\n\(indented)\n\(rest)").backend else { return nil }
        return config
    }

    @Test("without a backend section, or with kind local, models run on the local data plane")
    func localByDefault() throws {
        #expect(try configuration("controller:\n  repository: .\n").controller().backend == .local)
        #expect(try configuration("backend: {kind: local}\ncontroller:\n  repository: .\n").controller().backend == .local)
        #expect(try configuration("runtimes: {}\n").backend == .local)
    }

    @Test("a namespace and a gateway take every other default: in-cluster, gateway-api, mirror on, Serverless, leader election on")
    func defaults() throws {
        let config = try #require(try backend("kind: kubernetes\nnamespace: models\ngateway: {name: inference}"))
        #expect(config == KubernetesBackendConfig(namespace: "models", gateway: GatewayReference(name: "inference")))
        #expect(config.driver == .gatewayAPI)
        #expect(config.connection == .inCluster)
        #expect(config.requestMirror)
        #expect(config.kserveDeploymentMode == .serverless)
        #expect(config.collectorURL == nil)
        #expect(config.leaderElection == LeaderElectionConfig())
    }

    @Test("every backend field is read; the kubeconfig resolves against the config file's directory")
    func everyField() throws {
        let config = try #require(try backend("""
            kind: kubernetes
            namespace: ml-prod
            driver: kserve
            kubeconfig: clusters/prod.yaml
            context: prod-admin
            kserve: {deploymentMode: RawDeployment}
            collectorURL: http://sluice.sluice-system.svc:8090/v1/collector/kserve
            leaderElection: {leaseName: sluice.leader, leaseDuration: 30s, renewDeadline: 20s, retryPeriod: 500ms}
            """))
        #expect(config.namespace == "ml-prod")
        #expect(config.driver == .kserve)
        #expect(config.gateway == nil)
        #expect(config.connection == .kubeconfig(path: "/etc/sluice/clusters/prod.yaml", context: "prod-admin"))
        #expect(config.kserveDeploymentMode == .rawDeployment)
        #expect(config.collectorURL == "http://sluice.sluice-system.svc:8090/v1/collector/kserve")
        #expect(
            config.leaderElection
                == LeaderElectionConfig(
                    leaseName: "sluice.leader", leaseDuration: .seconds(30), renewDeadline: .seconds(20),
                    retryPeriod: SluiceCore.Duration(milliseconds: 500)))
    }

    @Test("a gateway with namespace and listener, mirroring off, auto driver, leader election off, ~ expanded in the kubeconfig")
    func gatewayAndHome() throws {
        let config = try #require(try backend("""
            kind: kubernetes
            namespace: models
            driver: auto
            gateway: {name: inference.gw, namespace: gateways, sectionName: https}
            requestMirror: false
            kubeconfig: ~/.kube/config
            leaderElection: {enabled: false}
            """))
        #expect(config.driver == .auto)
        #expect(config.gateway == GatewayReference(name: "inference.gw", namespace: "gateways", sectionName: "https"))
        #expect(config.requestMirror == false)
        #expect(config.connection == .kubeconfig(path: NSHomeDirectory() + "/.kube/config", context: nil))
        #expect(config.leaderElection == nil)
    }

    @Test("the controller section carries the backend, and Prometheus answers error rate and latency on a cluster unless told otherwise")
    func controllerCarriesBackendAndPrometheusDefault() throws {
        let cluster = "backend: {kind: kubernetes, namespace: models, driver: kserve}\n"
        let implicit = try configuration(cluster + "controller:\n  repository: .\n  prometheus: {url: http://prom:9090}\n").controller()
        #expect(implicit.backend == .kubernetes(KubernetesBackendConfig(namespace: "models", driver: .kserve)))
        #expect(implicit.prometheus?.builtinMetrics == .prometheus)
        let explicit = try configuration(
            cluster + "controller:\n  repository: .\n  prometheus: {url: http://prom:9090, builtinMetrics: gateway}\n").controller()
        #expect(explicit.prometheus?.builtinMetrics == .gateway)
        // Locally the gateway still measures.
        let local = try configuration("controller:\n  repository: .\n  prometheus: {url: http://prom:9090}\n").controller()
        #expect(local.prometheus?.builtinMetrics == .gateway)
    }

    @Test("a runtime's kubernetes and kserve sections are read; command may be left out on a cluster")
    func runtimes() throws {
        let config = try configuration("""
            backend: {kind: kubernetes, namespace: models, gateway: {name: inference}}
            runtimes:
              mlserver:
                kubernetes:
                  image: seldonio/mlserver:1.7.1
                  command: [mlserver]
                  args: [start, "{artifactUri}", --port, 8080]
                  port: 9000
                  grpcPort: 9001
                  resources:
                    requests: {cpu: 500m, memory: 2Gi, nvidia.com/gpu: 1}
                    limits: {cpu: "1.5", memory: 4e9}
                  env: {MODEL: "{model}", WORKERS: 2}
                  readinessPath: /v2/health/ready
                  replicas: 3
                kserve: {modelFormat: sklearn, runtime: kserve-mlserver, protocolVersion: v1, resources: {limits: {memory: 1Gi}}}
              bare:
                kubernetes: {image: "registry.example/server@sha256:0123"}
            """).serve.runtimes
        let mlserver = try #require(config["mlserver"])
        #expect(mlserver.command == [])
        let kubernetes = try #require(mlserver.kubernetes)
        #expect(kubernetes.image == "seldonio/mlserver:1.7.1")
        #expect(kubernetes.command == ["mlserver"])
        #expect(kubernetes.args == ["start", "{artifactUri}", "--port", "8080"])
        #expect(kubernetes.port == 9000)
        #expect(kubernetes.grpcPort == 9001)
        #expect(
            kubernetes.resources
                == .object([
                    ("requests", .object([("cpu", .string("500m")), ("memory", .string("2Gi")), ("nvidia.com/gpu", .string("1"))])),
                    ("limits", .object([("cpu", .string("1.5")), ("memory", .string("4e9"))])),
                ]))
        #expect(kubernetes.env == ["MODEL": "{model}", "WORKERS": "2"])
        #expect(kubernetes.readinessPath == "/v2/health/ready")
        #expect(kubernetes.replicas == 3)
        #expect(
            mlserver.kserve
                == KServeRuntime(
                    modelFormat: "sklearn", runtime: "kserve-mlserver", protocolVersion: "v1",
                    resources: .object([("limits", .object([("memory", .string("1Gi"))]))])))
        let bare = try #require(config["bare"]?.kubernetes)
        #expect(bare == KubernetesRuntime(image: "registry.example/server@sha256:0123"))
        #expect(bare.port == 8080 && bare.replicas == 1 && bare.readinessPath == "/v2/models/{model}/ready" && bare.command == nil && bare.grpcPort == nil)
        #expect(config["bare"]?.kserve == nil)
    }

    @Test("gateway grpcSectionName and grpcHostname are read; a hostname without {model} once, or not a hostname, is refused naming the field")
    func gatewayGRPC() throws {
        let base = "backend:\n  kind: kubernetes\n  namespace: models\n  gateway: {name: inference, sectionName: http, grpcSectionName: grpc, grpcHostname: %@}\n"
        guard case .kubernetes(let config) = try configuration(String(format: base, "\"{model}.grpc.example.com\"")).backend else {
            Issue.record("not a kubernetes backend")
            return
        }
        #expect(config.gateway == GatewayReference(
            name: "inference", sectionName: "http", grpcSectionName: "grpc", grpcHostname: "{model}.grpc.example.com"))
        for (template, reason) in [
            ("grpc.example.com", "{model} must appear exactly once"),
            ("\"{model}.{model}.example.com\"", "{model} must appear exactly once"),
            ("\"{model}_grpc.example.com\"", "is not a DNS-1123 subdomain"),
            ("\"*.{model}.example.com\"", "is not a DNS-1123 subdomain"),
        ] {
            let found = problems(String(format: base, template))
            #expect(found.count == 1 && found.first?.contains("backend.gateway.grpcHostname: expected a hostname holding {model} once") == true
                && found.first?.contains(reason) == true, "\(template): \(found)")
        }
    }

    @Test("kserve protocolVersion grpc-v2 with a grpcPort is read; a grpcPort with v2, or an unknown protocol, is refused naming the field")
    func kserveGRPC() throws {
        let runtime = try configuration("""
            runtimes:
              grpc:
                command: [mlserver]
                kserve: {modelFormat: sklearn, protocolVersion: grpc-v2, grpcPort: 9000}
              plain-grpc:
                command: [mlserver]
                kserve: {modelFormat: sklearn, protocolVersion: grpc-v1}
            """).serve.runtimes
        #expect(runtime["grpc"]?.kserve == KServeRuntime(modelFormat: "sklearn", protocolVersion: "grpc-v2", grpcPort: 9000))
        #expect(runtime["plain-grpc"]?.kserve?.servesGRPC == true && runtime["plain-grpc"]?.kserve?.grpcPort == nil)
        let refused = problems("runtimes:\n  r:\n    command: [m]\n    kserve: {modelFormat: sklearn, protocolVersion: v2, grpcPort: 9000}\n")
        #expect(refused.count == 1 && refused.first?.contains("runtimes.r.kserve.grpcPort: expected protocolVersion grpc-v1 or grpc-v2") == true, "\(refused)")
        let unknown = problems("runtimes:\n  r:\n    command: [m]\n    kserve: {modelFormat: sklearn, protocolVersion: grpc-v3}\n")
        #expect(unknown.count == 1 && unknown.first?.contains("runtimes.r.kserve.protocolVersion") == true, "\(unknown)")
        let badPort = problems("runtimes:\n  r:\n    command: [m]\n    kserve: {modelFormat: sklearn, protocolVersion: grpc-v2, grpcPort: 70000}\n")
        #expect(badPort.count == 1 && badPort.first?.contains("runtimes.r.kserve.grpcPort") == true, "\(badPort)")
    }

    @Test("locally a runtime still needs its command, and its kubernetes section is read for a later move")
    func localNeedsCommand() throws {
        #expect(
            problems("runtimes:\n  mlserver:\n    kubernetes: {image: seldonio/mlserver:1.7.1}\n")
                == ["sluice.yaml:2:3: runtimes.mlserver.command: missing required field 'command' in runtimes.mlserver"])
        let runtime = try configuration("runtimes:\n  py:\n    command: [python3]\n    kserve: {modelFormat: sklearn}\n").serve.runtimes["py"]
        #expect(runtime?.kserve == KServeRuntime(modelFormat: "sklearn"))
    }

    @Test("quantities follow the Kubernetes grammar: suffixes, exponents, fractions; negatives and unknown suffixes are refused")
    func quantities() {
        func problem(_ quantity: String) -> String? {
            problems("backend: {kind: kubernetes, namespace: m, driver: kserve}\nruntimes:\n  r:\n    kserve: {modelFormat: x, resources: {requests: {cpu: \"\(quantity)\"}}}\n").first
        }
        for good in ["1", "0.5", ".5", "5.", "100m", "2Gi", "128974848", "129e6", "123Mi", "1E3", "1e-3", "+1", "0", "1Ei", "12k"] {
            #expect(problem(good) == nil, "\(good)")
        }
        #expect(problem("-1")?.hasSuffix("found '-1': a resource quantity cannot be negative") == true)
        #expect(problem("2GB")?.hasSuffix("found '2GB': the suffix 'GB' is none of Ki, Mi, Gi, Ti, Pi, Ei, m, k, M, G, T, P, E or an exponent such as e3") == true)
        #expect(problem("Gi")?.hasSuffix("it does not start with a number") == true)
        #expect(problem("1e1.5")?.hasSuffix("the exponent 'e1.5' is not an integer") == true)
        #expect(problem("")?.hasSuffix("it is empty") == true)
    }

    @Test("the example of docs/kubernetes.md loads")
    func docsExampleLoads() throws {
        let docs = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("docs/kubernetes.md"), encoding: .utf8)
        let start = try #require(docs.range(of: "```yaml\n# sluice.yaml\n"))
        let end = try #require(docs.range(of: "```", range: start.upperBound..<docs.endIndex))
        let example = try configuration(String(docs[start.upperBound..<end.lowerBound]))
        guard case .kubernetes(let backend) = example.backend else {
            Issue.record("the docs example is not a kubernetes backend")
            return
        }
        #expect(backend.namespace == "models")
        #expect(example.serve.runtimes["mlserver"]?.kubernetes != nil)
    }
}
