import Foundation
import SluiceCore

extension ConfigBuilder {
    /// One `controller.notifications[]` entry; nil when it cannot be used (reported).
    mutating func notificationTarget(_ node: YAMLNode, index: Int) -> NotificationTarget? {
        let field = "controller.notifications[\(index)]"
        // A missing name or type was reported by the schema.
        guard let name = text(node["name"]), let kind = text(node["type"]).flatMap(NotificationTarget.Kind.init(rawValue:)) else { return nil }
        var target = NotificationTarget(name: name, kind: kind)
        target.url = tokenSource(node, env: "urlEnv", file: "urlFile")
        target.token = tokenSource(node, env: "tokenEnv", file: "tokenFile")
        target.repository = text(node["repository"])
        if let caFile = text(node["caFile"]) { target.caFile = resolve(caFile) }
        target.dashboardURL = text(node["dashboardURL"])
        if let api = node["api"], let value = text(api) {
            if value.hasPrefix("https://") || value.hasPrefix("http://") {
                target.api = value.hasSuffix("/") ? String(value.dropLast()) : value
            } else {
                problem(api, "\(field).api", "expected the git host's API base URL (https://…), found '\(value)'")
            }
        }
        if let events = node["events"]?.items {
            target.events = Set(events.compactMap { text($0).flatMap(NotificationEvent.init(rawValue:)) })
        }
        var usable = true
        switch kind {
        case .slack, .generic:
            if target.url == nil {
                problem(node, field, "a \(kind.rawValue) target needs its webhook URL in urlFile or urlEnv (the URL is a secret)")
                usable = false
            }
        case .github, .gitlab:
            if target.token == nil {
                problem(node, field, "a \(kind.rawValue) target needs a token in tokenFile or tokenEnv")
                usable = false
            }
            let expected = kind == .github ? "OWNER/REPO" : "the project's id or GROUP/PROJECT path"
            if let repository = target.repository {
                let parts = repository.split(separator: "/", omittingEmptySubsequences: false)
                let valid: Bool
                if kind == .github {
                    valid = parts.count == 2 && !parts.contains("")
                } else {
                    valid = !repository.isEmpty && !parts.contains("")
                }
                if !valid || repository.contains(where: { $0 == " " || $0 == "?" || $0 == "#" }) {
                    problem(node, "\(field).repository", "expected \(expected), found '\(repository)'")
                    usable = false
                }
            } else {
                problem(node, "\(field).repository", "a \(kind.rawValue) target needs repository: \(expected)")
                usable = false
            }
        }
        return usable ? target : nil
    }
}
