import Foundation
import SluiceCore

/// Builds typed values from a `sluice.yaml` that ``ConfigSchema`` has checked, and checks
/// what the schema cannot (addresses, ranges between fields), reporting through the same
/// validator so every problem has a position, a field and an expectation. Values that
/// failed the schema are skipped, never guessed.
struct ConfigBuilder {
    var validator: SchemaValidator
    /// The config file's directory: relative paths resolve against it.
    let base: String
    /// The `backend:` section, read first: it decides what a runtime must define.
    var backend: BackendConfig = .local

    mutating func serve(_ root: YAMLNode) -> ServeConfig {
        var config = ServeConfig()
        config.stateDirectory = resolve(config.stateDirectory)
        config.artifactRoot = resolve(config.artifactRoot)
        if let serve = root["serve"] { read(serve, into: &config) }
        for entry in root["runtimes"]?.entries ?? [] {
            guard let name = entry.key.scalar?.text, let definition = runtime(entry.value, field: "runtimes.\(name)", owner: entry.key) else {
                continue
            }
            config.runtimes[name] = definition
        }
        return config
    }

    private mutating func read(_ serve: YAMLNode, into config: inout ServeConfig) {
        if let node = serve["listen"], let address = listenAddress(node, field: "serve.listen", allowUnix: false) {
            config.listen = address
        }
        if let node = serve["grpcListen"], let address = listenAddress(node, field: "serve.grpcListen", allowUnix: false) {
            if address == config.listen {
                problem(node, "serve.grpcListen", "expected an address other than serve.listen ('\(config.listen)'): gRPC has its own listener")
            } else {
                config.grpcListen = address
            }
        }
        if let admin = serve["admin"] {
            if let node = admin["listen"], let address = listenAddress(node, field: "serve.admin.listen", allowUnix: true) {
                config.adminListen = address
            }
            if let source = tokenSource(admin, env: "tokenEnv", file: "tokenFile") { config.adminToken = source }
        }
        if let feedback = serve["feedback"] {
            let source = tokenSource(feedback, env: "tokenEnv", file: "tokenFile")
            if let open = feedback["open"], case .bool(true)? = open.scalar?.value {
                if source != nil {
                    problem(open, "serve.feedback.open", "an open feedback endpoint takes no token; remove tokenEnv/tokenFile or open")
                } else {
                    config.feedback = .open
                }
            } else if let source {
                config.feedback = .token(source)
            }
        }
        if let metrics = serve["metrics"] { config.metricsToken = tokenSource(metrics, env: "tokenEnv", file: "tokenFile") }
        if let limits = serve["limits"] { readLimits(limits, into: &config) }
        if let path = text(serve["stateDirectory"]) { config.stateDirectory = resolve(path) }
        if let path = text(serve["artifactRoot"]) { config.artifactRoot = resolve(path) }
        if let node = serve["ports"], let text = text(node) {
            let bounds = text.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            if bounds.count == 2, let low = bounds[0], let high = bounds[1], 1024 <= low, low <= high, high <= 65535 {
                config.ports = low...high
            } else {
                problem(node, "serve.ports", "expected a range LOW-HIGH within 1024-65535, found '\(text)'")
            }
        }
        if let node = serve["pinHeader"], let header = text(node) {
            if RuntimeSpecRules.isHeaderName(header) {
                config.pinHeader = header.lowercased()
            } else {
                problem(node, "serve.pinHeader", "expected an HTTP header name (letters, digits and !#$%&'*+-.^_`|~), found '\(header)'")
            }
        }
        if let value = duration(serve["drainTimeout"]) { config.drainTimeout = value }
        if let value = duration(serve["stopTimeout"]) { config.stopTimeout = value }
        if let value = duration(serve["upstreamTimeout"]) { config.upstreamTimeout = value }
        if let count = integer(serve["maxProcesses"], in: 1...10_000) { config.maxProcesses = count }
        if let count = integer(serve["maxMirroredInFlight"], in: 1...100_000) { config.maxMirroredInFlight = count }
        if let count = integer(serve["eventLoops"], in: 1...256) { config.eventLoops = count }
        // Any other value is refused by the schema's check, at the field.
        if let name = text(serve["gatewayEngine"]), let engine = ServeConfig.GatewayEngine(rawValue: name) { config.gatewayEngine = engine }
        if let name = text(serve["eventLoopScheduling"]), let policy = ServeConfig.EventLoopScheduling(rawValue: name) {
            config.eventLoopScheduling = policy
        }
        if let monitoring = serve["monitoring"] { readMonitoring(monitoring, into: &config) }
    }

    private mutating func readLimits(_ limits: YAMLNode, into config: inout ServeConfig) {
        if let count = integer(limits["maxConnections"], in: 1...1_000_000) { config.maximumConnections = count }
        if let size = integer(limits["bufferedMiB"], in: 16...65536) { config.bufferedMiB = size }
        for (key, path) in [("idleTimeout", \ServeConfig.idleTimeout), ("headerTimeout", \.headerTimeout), ("bodyTimeout", \.bodyTimeout)] {
            guard let node = limits[key], let value = duration(node) else { continue }
            if value.milliseconds >= 100, value.milliseconds <= 3_600_000 {
                config[keyPath: path] = value
            } else {
                problem(node, "serve.limits.\(key)", "expected a duration from 100ms to 1h, found \(value)")
            }
        }
    }

    private mutating func readMonitoring(_ monitoring: YAMLNode, into config: inout ServeConfig) {
        if let node = monitoring["bucket"], let value = duration(node) {
            if value.milliseconds >= 1000, value.milliseconds % 1000 == 0, value.milliseconds <= 3_600_000 {
                config.monitoringBucket = value
            } else {
                problem(node, "serve.monitoring.bucket", "expected whole seconds from 1s to 1h, found \(value)")
            }
        }
        if let node = monitoring["retain"], let value = duration(node) {
            if value >= config.monitoringBucket, value.milliseconds <= 86_400_000 {
                config.monitoringRetention = value
            } else {
                problem(node, "serve.monitoring.retain", "expected at least one bucket (\(config.monitoringBucket)) and at most 24h, found \(value)")
            }
        }
        if let count = integer(monitoring["predictions"], in: 0...10_000_000) { config.rememberedPredictions = count }
        if let count = integer(monitoring["sketchedPerSecond"], in: 1...1_000_000) { config.sketchedPerSecond = count }
    }

    private mutating func runtime(_ node: YAMLNode, field: String, owner: YAMLNode) -> RuntimeDefinition? {
        var command: [String] = []
        if let items = node["command"]?.items {
            // An empty or non-text command was reported by the schema.
            command = items.compactMap(text)
            guard !items.isEmpty, command.count == items.count else { return nil }
        } else if case .kubernetes = backend {
            // On a cluster the container's image says what runs; `command` is for `sluice serve`.
            if node["kubernetes"] == nil, node["kserve"] == nil, node.entries != nil || node.scalar?.value == .null {
                problem(owner, field, "on backend kind kubernetes a runtime needs 'kubernetes' (gateway-api driver) or 'kserve' (kserve driver)")
            }
        } else {
            // Not a mapping at all was reported by the schema; an empty one lacks the command.
            if node.entries != nil || node.scalar?.value == .null {
                validator.report(owner.location, .missingField, "\(field).command", "missing required field 'command' in \(field)")
            }
            return nil
        }
        var definition = RuntimeDefinition(command: command, workingDirectory: base)
        if let section = node["kubernetes"] { definition.kubernetes = kubernetesRuntime(section, field: "\(field).kubernetes") }
        if let section = node["kserve"] { definition.kserve = kserveRuntime(section, field: "\(field).kserve") }
        for entry in node["env"]?.entries ?? [] {
            guard let key = entry.key.scalar?.text, let value = text(entry.value) else { continue }
            definition.environment[key] = value
        }
        if let path = readinessPath(node, field: field) { definition.readinessPath = path }
        if let value = duration(node["startTimeout"]) { definition.startTimeout = value }
        if let path = text(node["workingDirectory"]) { definition.workingDirectory = resolve(path) }
        return definition
    }
}

extension ConfigBuilder {
    /// The text of a scalar (numbers and booleans as written); nil for anything else,
    /// which the schema has reported.
    func text(_ node: YAMLNode?) -> String? {
        guard let scalar = node?.scalar, scalar.value != .null else { return nil }
        return scalar.text
    }

    /// A valid duration, or nil (an invalid one was reported by the schema).
    func duration(_ node: YAMLNode?) -> SluiceCore.Duration? {
        guard let node, case .string(let text)? = node.scalar?.value else { return nil }
        return SluiceCore.Duration.parse(text).value
    }

    /// An integer within `range`, or nil (anything else was reported by the schema).
    func integer(_ node: YAMLNode?, in range: ClosedRange<Int>) -> Int? {
        guard case .int(let value)? = node?.scalar?.value, range.contains(value) else { return nil }
        return value
    }

    /// A boolean, or nil.
    func boolean(_ node: YAMLNode?) -> Bool? {
        guard case .bool(let value)? = node?.scalar?.value else { return nil }
        return value
    }

    /// The source named by `env` or `file` in `section`; nil when neither (or both: reported).
    func tokenSource(_ section: YAMLNode, env: String, file: String) -> ServeConfig.TokenSource? {
        switch (text(section[env]), text(section[file])) {
        case (let name?, nil): return .environment(name)
        case (nil, let path?): return .file(resolve(path))
        default: return nil
        }
    }

    /// `path` made absolute against the config file's directory (`~` expanded).
    func resolve(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardizedFileURL.path }
        return URL(fileURLWithPath: base).appendingPathComponent(expanded).standardizedFileURL.path
    }

    /// `HOST:PORT`, or `unix:PATH` where allowed.
    mutating func listenAddress(_ node: YAMLNode, field: String, allowUnix: Bool) -> ServeConfig.ListenAddress? {
        guard let text = text(node) else { return nil }
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            guard allowUnix else {
                problem(node, field, "expected HOST:PORT such as 127.0.0.1:8080 (this listener cannot be a unix socket), found '\(text)'")
                return nil
            }
            guard !path.isEmpty else {
                problem(node, field, "expected unix:/path/to/socket, found '\(text)'")
                return nil
            }
            return .unix(path: resolve(path))
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            problem(node, field, "expected HOST:PORT such as 127.0.0.1:8080\(allowUnix ? " or unix:/path/to.sock" : ""), found '\(text)'")
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else {
            problem(node, field, "expected a host before ':' such as 127.0.0.1, found '\(text)'")
            return nil
        }
        return .tcp(host: host, port: port)
    }

    /// `readinessPath` of `section` when it starts with `/`; anything else is reported.
    mutating func readinessPath(_ section: YAMLNode, field: String) -> String? {
        guard let node = section["readinessPath"], let path = text(node) else { return nil }
        guard path.hasPrefix("/") else {
            problem(node, "\(field).readinessPath", "expected a path starting with '/', found '\(path)'")
            return nil
        }
        return path
    }

    /// Reports a value that passed the schema but cannot be used.
    mutating func problem(_ node: YAMLNode, _ field: String, _ message: String) {
        validator.report(node.location, .invalidValue, field, message)
    }
}
