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
        if let delivery = node["delivery"] { target.delivery = deliveryPolicy(delivery, field: "\(field).delivery") }
        if let comment = boolean(node["pullRequestComment"]) {
            if comment, kind != .github {
                problem(node, "\(field).pullRequestComment", "only a github target can comment on pull requests, this one is \(kind.rawValue)")
            }
            target.pullRequestComment = comment && kind == .github
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

    /// A target's `delivery` section over the defaults; a bad value is reported at its field
    /// and the default kept.
    mutating func deliveryPolicy(_ node: YAMLNode, field: String) -> NotificationTarget.DeliveryPolicy {
        var policy = NotificationTarget.DeliveryPolicy.defaults
        if let rate = integer(node["ratePerMinute"], in: 1...6000) { policy.ratePerMinute = rate }
        let fields: [(String, WritableKeyPath<NotificationTarget.DeliveryPolicy, SluiceCore.Duration>, SluiceCore.Duration)] = [
            ("retryInitial", \.retryInitial, .seconds(1)), ("retryMax", \.retryMax, .seconds(1)), ("giveUpAfter", \.giveUpAfter, .seconds(60)),
        ]
        for (key, path, minimum) in fields {
            guard let value = node[key], let duration = duration(value) else { continue }
            if duration < minimum {
                problem(value, "\(field).\(key)", "expected at least \(minimum), found \(duration)")
            } else {
                policy[keyPath: path] = duration
            }
        }
        if policy.retryMax < policy.retryInitial {
            problem(node["retryMax"] ?? node, "\(field).retryMax", "expected at least retryInitial (\(policy.retryInitial)), found \(policy.retryMax)")
            policy.retryMax = policy.retryInitial
        }
        return policy
    }
}
