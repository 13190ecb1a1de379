import Foundation
import SluiceCore

extension ServeConfig {
    /// Reads `path`. Relative paths inside are resolved against the file's directory.
    /// Every problem is reported with its position and field.
    public static func load(path: String) throws(ServeConfigError) -> ServeConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ServeConfigError(problems: ["\(path): cannot read the config file"])
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(Array(data), file: path, baseDirectory: base)
    }

    /// The single YAML document of a config file.
    package static func document(_ bytes: [UInt8], file: String) throws(ServeConfigError) -> YAMLNode {
        let stream = YAMLComposer().compose(bytes, file: file)
        if !stream.diagnostics.isEmpty {
            throw ServeConfigError(problems: stream.diagnostics.map {
                "\(file):\($0.location.line):\($0.location.column): \($0.message)"
            })
        }
        guard let root = stream.documents.first?.root, stream.documents.count == 1 else {
            throw ServeConfigError(problems: ["\(file): expected one YAML document with `serve:` and `runtimes:`"])
        }
        return root
    }

    /// Parses a config document; `baseDirectory` anchors relative paths.
    public static func parse(_ bytes: [UInt8], file: String, baseDirectory: String) throws(ServeConfigError) -> ServeConfig {
        let root = try document(bytes, file: file)
        var reader = ConfigReader(file: file, base: baseDirectory)
        let config = reader.config(root)
        guard reader.problems.isEmpty else { throw ServeConfigError(problems: reader.sortedProblems) }
        return config
    }
}

/// Walks the YAML of a config file, collecting positioned problems. Shared by the
/// sections of `sluice.yaml` (`serve`, `runtimes`, `controller`).
package struct ConfigReader {
    package let file: String
    package let base: String
    package var problems: [(SourceLocation, String)] = []

    package init(file: String, base: String) {
        self.file = file
        self.base = base
    }

    /// The problems in document order.
    package var sortedProblems: [String] { problems.sorted { $0.0 < $1.0 }.map(\.1) }

    mutating func config(_ root: YAMLNode) -> ServeConfig {
        var config = ServeConfig()
        config.stateDirectory = resolve(config.stateDirectory)
        config.artifactRoot = resolve(config.artifactRoot)
        guard let top = mapping(root, field: "", allowed: ["serve", "runtimes", "controller"]) else { return config }
        if let serve = top["serve"], let fields = mapping(serve, field: "serve", allowed: [
            "listen", "admin", "stateDirectory", "artifactRoot", "ports", "pinHeader",
            "drainTimeout", "stopTimeout", "upstreamTimeout", "monitoring", "feedback", "metrics", "limits",
        ]) {
            if let node = fields["listen"], let address = listenAddress(node, field: "serve.listen", allowUnix: false) {
                config.listen = address
            }
            if let admin = fields["admin"], let adminFields = mapping(admin, field: "serve.admin", allowed: ["listen", "tokenEnv", "tokenFile"]) {
                if let node = adminFields["listen"], let address = listenAddress(node, field: "serve.admin.listen", allowUnix: true) {
                    config.adminListen = address
                }
                if let source = tokenSource(admin, adminFields, field: "serve.admin") { config.adminToken = source }
            }
            if let node = fields["feedback"], let feedback = mapping(node, field: "serve.feedback", allowed: ["open", "tokenEnv", "tokenFile"]) {
                let source = tokenSource(node, feedback, field: "serve.feedback")
                if let open = feedback["open"] {
                    var isOpen = false
                    if case .bool(let value)? = open.scalar?.value {
                        isOpen = value
                    } else {
                        problem(open, "serve.feedback.open", "expected true or false")
                    }
                    if isOpen, source != nil {
                        problem(open, "serve.feedback.open", "an open feedback endpoint takes no token; remove tokenEnv/tokenFile or open")
                    } else if isOpen {
                        config.feedback = .open
                    }
                }
                if let source, config.feedback != .open { config.feedback = .token(source) }
            }
            if let node = fields["metrics"], let metrics = mapping(node, field: "serve.metrics", allowed: ["tokenEnv", "tokenFile"]) {
                config.metricsToken = tokenSource(node, metrics, field: "serve.metrics")
            }
            if let node = fields["limits"] { readLimits(node, into: &config) }
            if let node = fields["stateDirectory"], let path = string(node, field: "serve.stateDirectory") {
                config.stateDirectory = resolve(path)
            }
            if let node = fields["artifactRoot"], let path = string(node, field: "serve.artifactRoot") {
                config.artifactRoot = resolve(path)
            }
            if let node = fields["ports"], let text = string(node, field: "serve.ports") {
                let bounds = text.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                if bounds.count == 2, let low = bounds[0], let high = bounds[1], 1024 <= low, low <= high, high <= 65535 {
                    config.ports = low...high
                } else {
                    problem(node, "serve.ports", "expected a range LOW-HIGH within 1024-65535, found '\(text)'")
                }
            }
            if let node = fields["pinHeader"], let header = string(node, field: "serve.pinHeader") {
                if RuntimeSpecRules.isHeaderName(header) {
                    config.pinHeader = header.lowercased()
                } else {
                    problem(node, "serve.pinHeader", "expected an HTTP header name, found '\(header)'")
                }
            }
            if let value = duration(fields["drainTimeout"], field: "serve.drainTimeout") { config.drainTimeout = value }
            if let value = duration(fields["stopTimeout"], field: "serve.stopTimeout") { config.stopTimeout = value }
            if let value = duration(fields["upstreamTimeout"], field: "serve.upstreamTimeout") { config.upstreamTimeout = value }
            if let monitoring = fields["monitoring"] { readMonitoring(monitoring, into: &config) }
        }
        if let runtimes = top["runtimes"], let entries = runtimes.entries {
            for entry in entries {
                guard let name = entry.key.scalar?.text else { continue }
                if let definition = runtime(entry.value, field: "runtimes.\(name)") {
                    config.runtimes[name] = definition
                }
            }
        } else if let runtimes = top["runtimes"] {
            problem(runtimes, "runtimes", "expected a mapping of runtime name: definition, found \(runtimes.kindDescription)")
        }
        return config
    }

    mutating func runtime(_ node: YAMLNode, field: String) -> RuntimeDefinition? {
        guard let fields = mapping(node, field: field, allowed: ["command", "env", "readinessPath", "startTimeout", "workingDirectory"]) else {
            return nil
        }
        guard let commandNode = fields["command"] else {
            problem(node, field, "missing command: a list such as [python3, server.py, --port, \"{port}\"]")
            return nil
        }
        guard let items = commandNode.items, !items.isEmpty else {
            problem(commandNode, "\(field).command", "expected a non-empty list of strings (the program, then its arguments)")
            return nil
        }
        var command: [String] = []
        for (index, item) in items.enumerated() {
            if let argument = string(item, field: "\(field).command[\(index)]") { command.append(argument) }
        }
        guard command.count == items.count else { return nil }
        var definition = RuntimeDefinition(command: command, workingDirectory: base)
        if let env = fields["env"] {
            if let entries = env.entries {
                for entry in entries {
                    guard let key = entry.key.scalar?.text else { continue }
                    if let value = entry.value.scalar?.text {
                        definition.environment[key] = value
                    } else {
                        problem(entry.value, "\(field).env.\(key)", "expected a string value")
                    }
                }
            } else {
                problem(env, "\(field).env", "expected a mapping of NAME: value")
            }
        }
        if let node = fields["readinessPath"], let path = string(node, field: "\(field).readinessPath") {
            if path.hasPrefix("/") {
                definition.readinessPath = path
            } else {
                problem(node, "\(field).readinessPath", "expected a path starting with '/'")
            }
        }
        if let value = duration(fields["startTimeout"], field: "\(field).startTimeout") { definition.startTimeout = value }
        if let node = fields["workingDirectory"], let path = string(node, field: "\(field).workingDirectory") {
            definition.workingDirectory = resolve(path)
        }
        return definition
    }

    // MARK: helpers

    package func resolve(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardizedFileURL.path }
        return URL(fileURLWithPath: base).appendingPathComponent(expanded).standardizedFileURL.path
    }

    package mutating func mapping(_ node: YAMLNode, field: String, allowed: [String]) -> [String: YAMLNode]? {
        guard let entries = node.entries else {
            problem(node, field, "expected a mapping, found \(node.kindDescription)")
            return nil
        }
        var fields: [String: YAMLNode] = [:]
        for entry in entries {
            let key = entry.key.scalar?.text ?? ""
            let path = field.isEmpty ? key : "\(field).\(key)"
            if !allowed.contains(key) {
                let hint = Suggestion.closest(to: key, among: allowed).map { "; did you mean '\($0)'?" } ?? ""
                problem(entry.key, path, "unknown field\(hint) (expected one of \(allowed.joined(separator: ", ")))")
                continue
            }
            fields[key] = entry.value
        }
        return fields
    }

    package mutating func string(_ node: YAMLNode, field: String) -> String? {
        guard let scalar = node.scalar, case .string(let text) = scalar.value else {
            if let text = node.scalar?.text, node.scalar != nil {
                return text
            }
            problem(node, field, "expected a string, found \(node.kindDescription)")
            return nil
        }
        return text
    }

    /// `tokenEnv` or `tokenFile` of a section, or nil when neither is given.
    private mutating func tokenSource(_ node: YAMLNode, _ fields: [String: YAMLNode], field: String) -> ServeConfig.TokenSource? {
        var env: String?
        var tokenFile: String?
        if let node = fields["tokenEnv"] { env = string(node, field: "\(field).tokenEnv") }
        if let node = fields["tokenFile"] { tokenFile = string(node, field: "\(field).tokenFile") }
        switch (env, tokenFile) {
        case (let name?, nil): return .environment(name)
        case (nil, let path?): return .file(resolve(path))
        case (.some, .some): problem(node, field, "give tokenEnv or tokenFile, not both")
        case (nil, nil): break
        }
        return nil
    }

    private mutating func readLimits(_ node: YAMLNode, into config: inout ServeConfig) {
        guard let fields = mapping(node, field: "serve.limits", allowed: ["maxConnections", "idleTimeout", "headerTimeout", "bodyTimeout", "bufferedMiB"]) else { return }
        if let count = integer(fields["maxConnections"], field: "serve.limits.maxConnections", in: 1...1_000_000, "connections per listener") {
            config.maximumConnections = count
        }
        if let size = integer(fields["bufferedMiB"], field: "serve.limits.bufferedMiB", in: 16...65536, "MiB of request bodies held at once, at least one 16 MiB inference body") {
            config.bufferedMiB = size
        }
        for (key, path) in [("idleTimeout", \ServeConfig.idleTimeout), ("headerTimeout", \.headerTimeout), ("bodyTimeout", \.bodyTimeout)] {
            guard let node = fields[key], let value = duration(node, field: "serve.limits.\(key)") else { continue }
            if value.milliseconds >= 100, value.milliseconds <= 3_600_000 {
                config[keyPath: path] = value
            } else {
                problem(node, "serve.limits.\(key)", "expected a duration from 100ms to 1h, found \(value)")
            }
        }
    }

    private mutating func readMonitoring(_ node: YAMLNode, into config: inout ServeConfig) {
        guard let fields = mapping(node, field: "serve.monitoring", allowed: ["bucket", "retain", "predictions", "sketchedPerSecond"]) else { return }
        if let node = fields["bucket"], let value = duration(node, field: "serve.monitoring.bucket") {
            if value.milliseconds >= 1000, value.milliseconds % 1000 == 0, value.milliseconds <= 3_600_000 {
                config.monitoringBucket = value
            } else {
                problem(node, "serve.monitoring.bucket", "expected whole seconds from 1s to 1h, found \(value)")
            }
        }
        if let node = fields["retain"], let value = duration(node, field: "serve.monitoring.retain") {
            if value >= config.monitoringBucket, value.milliseconds <= 86_400_000 {
                config.monitoringRetention = value
            } else {
                problem(node, "serve.monitoring.retain", "expected at least one bucket (\(config.monitoringBucket)) and at most 24h, found \(value)")
            }
        }
        if let count = integer(fields["predictions"], field: "serve.monitoring.predictions", in: 0...10_000_000, "predictions kept for feedback") {
            config.rememberedPredictions = count
        }
        if let count = integer(fields["sketchedPerSecond"], field: "serve.monitoring.sketchedPerSecond", in: 1...1_000_000, "requests per second sketched in full") {
            config.sketchedPerSecond = count
        }
    }

    /// An integer in `range`, or a problem saying what it means.
    private mutating func integer(_ node: YAMLNode?, field: String, in range: ClosedRange<Int>, _ meaning: String) -> Int? {
        guard let node else { return nil }
        if case .int(let count)? = node.scalar?.value, range.contains(count) { return count }
        problem(node, field, "expected an integer from \(range.lowerBound) to \(range.upperBound) (\(meaning))")
        return nil
    }

    package mutating func duration(_ node: YAMLNode?, field: String) -> SluiceCore.Duration? {
        guard let node, let text = string(node, field: field) else { return nil }
        let parsed = SluiceCore.Duration.parse(text)
        if let error = parsed.error { problem(node, field, error) }
        return parsed.value
    }

    package mutating func listenAddress(_ node: YAMLNode, field: String, allowUnix: Bool) -> ServeConfig.ListenAddress? {
        guard let text = string(node, field: field) else { return nil }
        if text.hasPrefix("unix:") {
            guard allowUnix else {
                problem(node, field, "expected HOST:PORT")
                return nil
            }
            let path = String(text.dropFirst("unix:".count))
            guard !path.isEmpty else {
                problem(node, field, "expected unix:/path/to/socket")
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
            problem(node, field, "expected a host before ':' such as 127.0.0.1")
            return nil
        }
        return .tcp(host: host, port: port)
    }

    package mutating func problem(_ node: YAMLNode, _ field: String, _ message: String) {
        let prefix = "\(file):\(node.location.line):\(node.location.column): "
        problems.append((node.location, prefix + (field.isEmpty ? message : "\(field): \(message)")))
    }
}
