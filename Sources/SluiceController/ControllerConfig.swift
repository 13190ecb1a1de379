import Foundation
import SluiceCore
import SluiceGit
import SluiceServe

/// The `controller:` section of `sluice.yaml`: which repository to watch, where the data
/// plane is, and the controller's own listener, token and state.
public struct ControllerConfig: Sendable {
    /// A local path (working copy or bare, resolved against the config file's directory) or a
    /// remote URL, parsed once.
    public var repositoryLocation: RepositoryLocation
    /// The path or URL that ``repositoryLocation`` names.
    public var repository: String { repositoryLocation.address }
    /// The branch to follow; nil: the checked-out branch, or the remote's default.
    public var branch: String?
    /// The manifests' directory inside the repository ("" for all of it).
    public var path: String
    /// How often git is read when nothing else triggers a pass (±10% jitter).
    public var interval: SluiceCore.Duration
    /// The API, webhook and metrics listener.
    public var listen: ServeConfig.ListenAddress
    /// The API bearer token.
    public var token: ServeConfig.TokenSource
    /// The webhook secret (GitHub HMAC key or GitLab token); nil disables /hooks/git.
    public var webhookSecret: ServeConfig.TokenSource?
    /// The SQLite database, the clone cache and the materialized artifacts.
    public var stateDirectory: String
    /// The data plane's admin API: TCP or a unix socket, and nowhere else the token goes.
    public var dataPlane: ServeConfig.ListenAddress
    /// The data plane's admin token.
    public var dataPlaneToken: ServeConfig.TokenSource
    /// Whether an empty manifest set may prune every model.
    public var allowEmpty: Bool
    /// An HTTPS token for a remote repository.
    public var gitTokenEnv: String?
    /// How often monitoring buckets are collected from the data plane (`monitors.interval`).
    public var monitorInterval: SluiceCore.Duration = .seconds(10)
    /// Where monitor alerts are POSTed (`monitors.alertWebhook`); nil: events and logs only.
    public var alertWebhook: WebhookTarget?
    /// Where approved retraining requests are POSTed (`monitors.retrainWebhook`).
    public var retrainWebhook: WebhookTarget?
    /// A bearer token sent with both webhooks (`monitors.webhookTokenEnv`), never logged.
    public var monitorWebhookToken: ServeConfig.TokenSource?
    /// The bearer token `GET /metrics` requires (`metricsTokenEnv` / `metricsTokenFile`); nil: open.
    public var metricsToken: ServeConfig.TokenSource?

    /// Where artifacts read from git are written for the data plane.
    public var artifactDirectory: String { "\(stateDirectory)/artifacts" }
    /// The SQLite file.
    public var databasePath: String { "\(stateDirectory)/sluice.sqlite" }

    /// Reads the `controller:` section (and the `serve:` section for defaults that point
    /// at a data plane described in the same file).
    public static func load(path: String) throws(ServeConfigError) -> ControllerConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ServeConfigError(problems: ["\(path): cannot read the config file"])
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let serve = try ServeConfig.parse(Array(data), file: path, baseDirectory: base)
        let root = try ServeConfig.document(Array(data), file: path)
        var reader = ConfigReader(file: path, base: base)
        guard let section = root["controller"] else {
            throw ServeConfigError(problems: ["\(path): no `controller:` section (it needs at least `repository:`)"])
        }
        let config = reader.controller(section, serve: serve)
        guard reader.problems.isEmpty, let config else { throw ServeConfigError(problems: reader.sortedProblems) }
        return config
    }
}

extension ConfigReader {
    /// The string under `key`, reporting a wrong type.
    mutating func text(_ fields: [String: YAMLNode], _ key: String, _ field: String) -> String? {
        guard let node = fields[key] else { return nil }
        return string(node, field: field)
    }

    mutating func controller(_ node: YAMLNode, serve: ServeConfig) -> ControllerConfig? {
        guard let fields = mapping(node, field: "controller", allowed: [
            "repository", "branch", "path", "interval", "listen", "tokenEnv", "tokenFile", "webhookSecretEnv",
            "webhookSecretFile", "stateDirectory", "dataPlane", "dataPlaneTokenEnv", "dataPlaneTokenFile", "allowEmpty", "gitTokenEnv",
            "monitors", "metricsTokenEnv", "metricsTokenFile",
        ]) else { return nil }
        guard let repositoryNode = fields["repository"], let repository = string(repositoryNode, field: "controller.repository") else {
            problem(node, "controller", "missing repository: a local path or a URL")
            return nil
        }
        var location: RepositoryLocation
        do {
            // A relative path is the config file's directory's, so it is looked up there.
            location = try RepositoryLocation(parsing: repository, fileExists: { FileManager.default.fileExists(atPath: resolve($0)) })
        } catch {
            // Reported; the other fields are still read so that every problem is told at once.
            problem(repositoryNode, "controller.repository", error.message)
            location = .local(path: repository)
        }
        if case .local(let path) = location { location = .local(path: resolve(path)) }
        var token = ServeConfig.TokenSource.generated
        if let name = text(fields, "tokenEnv", "controller.tokenEnv") { token = .environment(name) }
        if let file = text(fields, "tokenFile", "controller.tokenFile") { token = .file(resolve(file)) }
        var webhook: ServeConfig.TokenSource?
        if let name = text(fields, "webhookSecretEnv", "controller.webhookSecretEnv") { webhook = .environment(name) }
        if let file = text(fields, "webhookSecretFile", "controller.webhookSecretFile") { webhook = .file(resolve(file)) }
        // By default exactly the admin listener this file configures, unix socket included.
        var dataPlane = serve.adminListen
        if case .tcp(let host, let port) = dataPlane, host == "0.0.0.0" { dataPlane = .tcp(host: "127.0.0.1", port: port) }
        if let node = fields["dataPlane"], let text = string(node, field: "controller.dataPlane") {
            if let address = UpstreamAddress(url: text) {
                dataPlane = .tcp(host: address.host, port: address.port)
            } else if text.hasPrefix("unix:"), text.count > "unix:".count {
                dataPlane = .unix(path: resolve(String(text.dropFirst("unix:".count))))
            } else {
                problem(node, "controller.dataPlane", "expected the data plane's admin address, http://HOST:PORT or unix:PATH, found '\(text)'")
            }
        }
        // By default the data plane is the one this file configures, with its token.
        var dataPlaneToken = serve.adminToken
        if case .generated = dataPlaneToken { dataPlaneToken = .file("\(serve.stateDirectory)/admin-token") }
        if let name = text(fields, "dataPlaneTokenEnv", "controller.dataPlaneTokenEnv") { dataPlaneToken = .environment(name) }
        if let file = text(fields, "dataPlaneTokenFile", "controller.dataPlaneTokenFile") { dataPlaneToken = .file(resolve(file)) }
        var listen = ServeConfig.ListenAddress.tcp(host: "127.0.0.1", port: 8090)
        if let node = fields["listen"], let address = listenAddress(node, field: "controller.listen", allowUnix: false) { listen = address }
        var allowEmpty = false
        if let node = fields["allowEmpty"] {
            if case .bool(let value)? = node.scalar?.value { allowEmpty = value } else { problem(node, "controller.allowEmpty", "expected true or false") }
        }
        let stateDirectory = resolve(text(fields, "stateDirectory", "controller.stateDirectory") ?? ".sluice/controller")
        let branch = text(fields, "branch", "controller.branch")
        let manifests = text(fields, "path", "controller.path") ?? ""
        let interval = duration(fields["interval"], field: "controller.interval") ?? .seconds(30)
        let gitToken = text(fields, "gitTokenEnv", "controller.gitTokenEnv")
        var config = ControllerConfig(
            repositoryLocation: location,
            branch: branch,
            path: manifests,
            interval: interval,
            listen: listen,
            token: token,
            webhookSecret: webhook,
            stateDirectory: stateDirectory,
            dataPlane: dataPlane,
            dataPlaneToken: dataPlaneToken,
            allowEmpty: allowEmpty,
            gitTokenEnv: gitToken
        )
        if let monitors = fields["monitors"] { readMonitors(monitors, into: &config) }
        let metricsEnv = text(fields, "metricsTokenEnv", "controller.metricsTokenEnv")
        let metricsFile = text(fields, "metricsTokenFile", "controller.metricsTokenFile")
        switch (metricsEnv, metricsFile) {
        case (let name?, nil): config.metricsToken = .environment(name)
        case (nil, let file?): config.metricsToken = .file(resolve(file))
        case (.some, .some): problem(node, "controller", "give metricsTokenEnv or metricsTokenFile, not both")
        case (nil, nil): break
        }
        return config
    }

    private mutating func readMonitors(_ node: YAMLNode, into config: inout ControllerConfig) {
        guard let fields = mapping(node, field: "controller.monitors", allowed: [
            "interval", "alertWebhook", "retrainWebhook", "webhookTokenEnv", "webhookTokenFile",
        ]) else { return }
        if let node = fields["interval"], let value = duration(node, field: "controller.monitors.interval") {
            if value.milliseconds >= 1000 { config.monitorInterval = value } else {
                problem(node, "controller.monitors.interval", "expected at least 1s, found \(value)")
            }
        }
        for (key, path) in [("alertWebhook", \ControllerConfig.alertWebhook), ("retrainWebhook", \ControllerConfig.retrainWebhook)] {
            guard let node = fields[key], let text = string(node, field: "controller.monitors.\(key)") else { continue }
            if let target = WebhookTarget(url: text) {
                config[keyPath: path] = target
            } else {
                problem(node, "controller.monitors.\(key)", "expected an http://HOST:PORT/PATH URL, found '\(text)'")
            }
        }
        if let name = text(fields, "webhookTokenEnv", "controller.monitors.webhookTokenEnv") { config.monitorWebhookToken = .environment(name) }
        if let file = text(fields, "webhookTokenFile", "controller.monitors.webhookTokenFile") { config.monitorWebhookToken = .file(resolve(file)) }
    }
}
