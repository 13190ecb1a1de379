import Foundation
import SluiceCore

extension ConfigBuilder {
    /// The `controller.prometheus` section; nil when its `url` is missing or unusable (reported).
    mutating func prometheus(_ node: YAMLNode) -> PrometheusConfig? {
        let field = "controller.prometheus"
        var url: String?
        if let urlNode = node["url"], let text = text(urlNode) {
            if let reason = Self.httpURLProblem(text, credentials: "credentials belong in tokenEnv or tokenFile") {
                problem(urlNode, "\(field).url", "expected an http:// or https:// URL with a host (and an optional port and path); found '\(text)': \(reason)")
            } else {
                url = text
            }
        }
        var config = PrometheusConfig(url: url ?? "")
        config.token = tokenSource(node, env: "tokenEnv", file: "tokenFile")
        if let caNode = node["caFile"], let path = text(caNode) {
            let resolved = resolve(path)
            if let reason = Self.certificateFileProblem(resolved) {
                problem(caNode, "\(field).caFile", "expected a readable PEM file of CA certificates, but '\(path)' \(reason)")
            } else {
                config.caFile = resolved
            }
        }
        if let timeoutNode = node["timeout"], let value = duration(timeoutNode) {
            if value.milliseconds >= 100, value.milliseconds <= 300_000 {
                config.timeout = value
            } else {
                problem(timeoutNode, "\(field).timeout", "expected a duration from 100ms to 5m, found \(value)")
            }
        }
        if let namespaceNode = node["namespace"], let namespace = text(namespaceNode) {
            if namespace.isEmpty || namespace.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                problem(namespaceNode, "\(field).namespace", "expected a non-empty name without control characters")
            } else {
                config.namespace = namespace
            }
        }
        if let count = integer(node["maxConcurrentQueries"], in: 1...256) { config.maxConcurrentQueries = count }
        if let source = text(node["builtinMetrics"]).flatMap(BuiltinMetricsSource.init(rawValue:)) { config.builtinMetrics = source }
        for entry in node["queries"]?.entries ?? [] {
            // Unknown keys were reported by the schema.
            guard let key = entry.key.scalar?.text, let query = BuiltinQuery(rawValue: key), let template = text(entry.value) else { continue }
            if template.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                problem(entry.value, "\(field).queries.\(key)", "expected a PromQL query template, found an empty string")
            } else if let first = QueryTemplateChecker.check(QueryTemplate(template)).problems.first {
                // The same checks as a manifest's query (variables, literals, brackets, tokens).
                problem(entry.value, "\(field).queries.\(key)", "\(first.message) (at byte \(first.offset + 1) of the query)")
            } else {
                config.queries[query] = QueryTemplate(template)
            }
        }
        return url == nil ? nil : config
    }

    /// Why `text` is no usable `http`/`https` URL with a host, or nil; `credentials` says why
    /// a user or password in it is refused.
    static func httpURLProblem(_ text: String, credentials: String) -> String? {
        guard text.contains("://") else { return "it does not start with http:// or https://" }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else { return "not a URL" }
        guard scheme == "http" || scheme == "https" else { return "the scheme is '\(scheme)'" }
        guard let host = components.host, !host.isEmpty else { return "there is no host" }
        guard components.user == nil, components.password == nil else { return credentials }
        guard components.query == nil, components.fragment == nil else { return "a query or fragment is not allowed" }
        return nil
    }

    /// Why the file at `path` is no PEM certificate file, or nil.
    static func certificateFileProblem(_ path: String) -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return "does not exist (relative paths start at the config file's directory)" }
        guard let data = FileManager.default.contents(atPath: path) else { return "cannot be read" }
        guard String(decoding: data.prefix(1 << 20), as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
            return "holds no '-----BEGIN CERTIFICATE-----' block"
        }
        return nil
    }
}
