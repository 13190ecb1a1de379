import Foundation
import SluiceCore
import SluiceGit

extension ConfigBuilder {
    /// The `controller:` section; `serve` supplies the defaults that point at the data plane
    /// the same file describes.
    mutating func controller(_ node: YAMLNode, serve: ServeConfig) -> ControllerConfig? {
        // A missing repository was reported by the schema.
        guard let repositoryNode = node["repository"], let repository = text(repositoryNode) else { return nil }
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
        var config = ControllerConfig(repository: repository)
        config.repositoryLocation = location
        config.branch = text(node["branch"])
        config.path = text(node["path"]) ?? ""
        if let interval = duration(node["interval"]) { config.interval = interval }
        if let listen = node["listen"], let address = listenAddress(listen, field: "controller.listen", allowUnix: false) {
            config.listen = address
        }
        config.token = tokenSource(node, env: "tokenEnv", file: "tokenFile") ?? .generated
        config.webhookSecret = tokenSource(node, env: "webhookSecretEnv", file: "webhookSecretFile")
        config.stateDirectory = resolve(text(node["stateDirectory"]) ?? ".sluice/controller")
        // By default exactly the admin listener this file configures, unix socket included.
        config.dataPlane = serve.adminListen
        if case .tcp(let host, let port) = config.dataPlane, host == "0.0.0.0" { config.dataPlane = .tcp(host: "127.0.0.1", port: port) }
        if let dataPlane = node["dataPlane"], let text = text(dataPlane) {
            if let address = UpstreamAddress(url: text) {
                config.dataPlane = .tcp(host: address.host, port: address.port)
            } else if text.hasPrefix("unix:"), text.count > "unix:".count {
                config.dataPlane = .unix(path: resolve(String(text.dropFirst("unix:".count))))
            } else {
                problem(dataPlane, "controller.dataPlane", "expected the data plane's admin address, http://HOST:PORT or unix:PATH, found '\(text)'")
            }
        }
        // By default the data plane is the one this file configures, with its token.
        config.dataPlaneToken = serve.adminToken
        if case .generated = config.dataPlaneToken { config.dataPlaneToken = .file("\(serve.stateDirectory)/admin-token") }
        if let source = tokenSource(node, env: "dataPlaneTokenEnv", file: "dataPlaneTokenFile") { config.dataPlaneToken = source }
        config.allowEmpty = boolean(node["allowEmpty"]) ?? false
        config.gitTokenEnv = text(node["gitTokenEnv"])
        config.metricsToken = tokenSource(node, env: "metricsTokenEnv", file: "metricsTokenFile")
        config.viewerToken = tokenSource(node, env: "viewerTokenEnv", file: "viewerTokenFile")
        for (index, item) in (node["tokens"]?.items ?? []).enumerated() {
            if let token = apiToken(item, index: index) { config.tokens.append(token) }
        }
        if let monitors = node["monitors"] { readMonitors(monitors, into: &config) }
        for (index, item) in (node["notifications"]?.items ?? []).enumerated() {
            if let target = notificationTarget(item, index: index) { config.notifications.append(target) }
        }
        config.prometheus = node["prometheus"].flatMap { prometheus($0) }
        if let artifacts = node["artifacts"] { config.artifacts = self.artifacts(artifacts) }
        if let author = node["git"]?["author"], let identity = gitAuthor(author) { config.gitAuthor = identity }
        if let signing = node["git"]?["signing"] { config.gitSigning = gitSigning(signing) }
        if let verify = node["verify"] { config.verify = self.verify(verify) }
        // Checked by the schema (ManifestSchema.window); an invalid window was reported there.
        config.windows = (node["windows"]?.items ?? []).compactMap(ChangeWindow.init(node:))
        config.backend = backend
        // On a cluster Sluice's gateway measures nothing: error rate and latency come from Prometheus.
        if case .kubernetes = backend, node["prometheus"]?["builtinMetrics"] == nil { config.prometheus?.builtinMetrics = .prometheus }
        return config
    }

    /// `controller.git.author`; a name or email git cannot write is reported at its position.
    private mutating func gitAuthor(_ node: YAMLNode) -> GitIdentity? {
        // Missing fields were reported by the schema.
        guard let nameNode = node["name"], let emailNode = node["email"], let name = text(nameNode), let email = text(emailNode) else {
            return nil
        }
        let problems = GitIdentity.problems(name: name, email: email)
        for problem in problems {
            let at = problem.field == .name ? nameNode : emailNode
            self.problem(at, "controller.git.author.\(problem.field.rawValue)", problem.message)
        }
        return problems.isEmpty ? GitIdentity(name: name, email: email) : nil
    }

    /// `controller.verify`: the key files must exist and be readable now (gpg and ssh-keygen
    /// read them when the controller starts); at least one is needed.
    private mutating func verify(_ node: YAMLNode) -> VerifyConfig? {
        var config = VerifyConfig()
        if let mode = text(node["mode"]).flatMap(VerificationMode.init(rawValue:)) { config.mode = mode }
        config.gpgKeyring = keyFile(node["gpg"]?["keyring"], field: "controller.verify.gpg.keyring", what: "OpenPGP public keys (gpg --export)")
        config.sshAllowedSigners = keyFile(
            node["ssh"]?["allowedSigners"], field: "controller.verify.ssh.allowedSigners", what: "an allowed-signers file (git's format)")
        if node["gpg"] == nil, node["ssh"] == nil {
            problem(node, "controller.verify", "expected `gpg: {keyring: PATH}` or `ssh: {allowedSigners: PATH}` (or both): the keys commits must be signed with")
            return nil
        }
        return config.gpgKeyring == nil && config.sshAllowedSigners == nil ? nil : config
    }

    /// `controller.git.signing`: a private key file the controller can read.
    private mutating func gitSigning(_ node: YAMLNode) -> SigningConfig? {
        // Missing or unknown formats were reported by the schema.
        guard let format = text(node["format"]).flatMap(SignatureFormat.init(rawValue:)),
              let path = keyFile(node["keyFile"], field: "controller.git.signing.keyFile", what: "a private key file (mode 0600)")
        else { return nil }
        return SigningConfig(format: format, keyFile: path)
    }

    /// A key file's absolute path when it exists and can be read; otherwise reported at `node`.
    private mutating func keyFile(_ node: YAMLNode?, field: String, what: String) -> String? {
        guard let node, let path = text(node) else { return nil }
        let resolved = resolve(path)
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory) {
            problem(node, field, "expected \(what), but '\(path)' does not exist (relative paths start at the config file's directory)")
        } else if isDirectory.boolValue {
            problem(node, field, "expected \(what), but '\(path)' is a directory")
        } else if !FileManager.default.isReadableFile(atPath: resolved) {
            problem(node, field, "expected \(what), but '\(path)' cannot be read (check its owner and mode)")
        } else {
            return resolved
        }
        return nil
    }

    private mutating func readMonitors(_ node: YAMLNode, into config: inout ControllerConfig) {
        if let interval = node["interval"], let value = duration(interval) {
            if value.milliseconds >= 1000 {
                config.monitorInterval = value
            } else {
                problem(interval, "controller.monitors.interval", "expected at least 1s, found \(value)")
            }
        }
        for (key, path) in [("alertWebhook", \ControllerConfig.alertWebhook), ("retrainWebhook", \ControllerConfig.retrainWebhook)] {
            guard let url = node[key], let text = text(url) else { continue }
            if let target = WebhookTarget(url: text) {
                config[keyPath: path] = target
            } else {
                problem(url, "controller.monitors.\(key)", "expected an http://HOST:PORT/PATH URL, found '\(text)'")
            }
        }
        config.monitorWebhookToken = tokenSource(node, env: "webhookTokenEnv", file: "webhookTokenFile")
    }
}

extension ConfigBuilder {
    /// One `controller.tokens[]` entry; nil when it cannot be used (reported).
    mutating func apiToken(_ node: YAMLNode, index: Int) -> APITokenConfig? {
        let field = "controller.tokens[\(index)]"
        // A missing name or role, an unknown role and a duplicate name were reported by the schema.
        guard let nameNode = node["name"], let name = text(nameNode),
              let role = text(node["role"]).flatMap(APIRole.init(rawValue:)) else { return nil }
        if let why = APITokenConfig.problem(name: name) {
            problem(nameNode, "\(field).name", why)
            return nil
        }
        guard let source = tokenSource(node, env: "tokenEnv", file: "tokenFile") else {
            // Both given was reported by the schema.
            if node["tokenEnv"] == nil, node["tokenFile"] == nil {
                problem(node, field, "the token '\(name)' needs tokenEnv or tokenFile (a token is never written in the config)")
            }
            return nil
        }
        return APITokenConfig(name: name, role: role, source: source)
    }
}
