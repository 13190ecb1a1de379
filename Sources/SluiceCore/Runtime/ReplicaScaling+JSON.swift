extension ReplicaScaling {
    /// The most replicas one version may ask for; the data plane's `serve.maxProcesses`
    /// caps the total further.
    public static let maximumReplicas = 1000

    /// What is wrong with these bounds, field by field (relative to the `scaling` object):
    /// the rules a manifest and a runtime spec share.
    public var problems: [RuntimeSpecIssue] {
        var found: [RuntimeSpecIssue] = []
        if !(1...Self.maximumReplicas).contains(minReplicas) {
            found.append(RuntimeSpecIssue(
                field: "minReplicas", message: "expected a whole number from 1 to \(Self.maximumReplicas), found \(minReplicas)"))
        }
        if maxReplicas > Self.maximumReplicas || maxReplicas < 1 {
            found.append(RuntimeSpecIssue(
                field: "maxReplicas", message: "expected a whole number from 1 to \(Self.maximumReplicas), found \(maxReplicas)"))
        } else if maxReplicas < minReplicas {
            found.append(RuntimeSpecIssue(
                field: "maxReplicas", message: "expected at least minReplicas (\(minReplicas)), found \(maxReplicas)"))
        }
        if !(target.value.isFinite && target.value > 0) {
            found.append(RuntimeSpecIssue(
                field: "target.\(target.metric.rawValue)", message: "expected a positive number per replica, found \(target.value)"))
        }
        return found
    }

    /// `{"minReplicas": 2, "maxReplicas": 8, "target": {"concurrency": 4}, "scaleDownDelay": "2m"}`.
    public var jsonValue: JSONValue {
        .object([
            ("minReplicas", .int(minReplicas)),
            ("maxReplicas", .int(maxReplicas)),
            ("target", .object([(target.metric.rawValue, ModelDeployment.canonicalNumber(target.value))])),
            ("scaleDownDelay", .string(scaleDownDelay.description)),
        ])
    }
}

/// Reads a runtime spec's `scaling` object, collecting an issue per bad field.
struct ReplicaScalingReader {
    let path: String
    var issues: [RuntimeSpecIssue] = []

    init(path: String) { self.path = path }

    mutating func scaling(_ value: JSONValue) -> ReplicaScaling? {
        guard case .object(let entries) = value else {
            issue("", "expected an object {minReplicas, maxReplicas, target, scaleDownDelay}, found \(JSONValue.kindPhrase(value))")
            return nil
        }
        let allowed = ["minReplicas", "maxReplicas", "target", "scaleDownDelay"]
        var members: [String: JSONValue] = [:]
        for (key, member) in entries {
            if members[key] != nil { issue(key, "appears twice") } else if !allowed.contains(key) {
                issue(key, "unknown field; expected one of \(allowed.joined(separator: ", "))")
            }
            members[key] = member
        }
        let minimum = whole(members["minReplicas"], "minReplicas") ?? 1
        let maximum = whole(members["maxReplicas"], "maxReplicas") ?? minimum
        var target = ReplicaScaling.defaultTarget
        if let value = members["target"] { target = self.target(value) ?? target }
        var delay = ReplicaScaling.defaultScaleDownDelay
        switch members["scaleDownDelay"] {
        case nil: break
        case .string(let text)?:
            let parsed = Duration.parse(text)
            if let value = parsed.value { delay = value } else { issue("scaleDownDelay", parsed.error ?? "expected a duration such as 2m") }
        case let other?: issue("scaleDownDelay", "expected a duration such as 2m, found \(JSONValue.kindPhrase(other))")
        }
        let scaling = ReplicaScaling(minReplicas: minimum, maxReplicas: maximum, target: target, scaleDownDelay: delay)
        for problem in scaling.problems { issue(problem.field, problem.message) }
        return issues.isEmpty ? scaling : nil
    }

    private mutating func target(_ value: JSONValue) -> ReplicaScaling.Target? {
        let expected = "expected {concurrency: N} or {rps: N}"
        guard case .object(let entries) = value, entries.count == 1, let (key, member) = entries.first else {
            issue("target", "\(expected), found \(JSONValue.kindPhrase(value))")
            return nil
        }
        guard let metric = ReplicaScaling.Target.Metric(rawValue: key) else {
            issue("target.\(key)", "unknown target; \(expected)")
            return nil
        }
        let number: Double
        switch member {
        case .int(let whole): number = Double(whole)
        case .number(let fraction): number = fraction
        default:
            issue("target.\(key)", "expected a positive number per replica, found \(JSONValue.kindPhrase(member))")
            return nil
        }
        return metric == .concurrency ? .concurrency(number) : .rps(number)
    }

    private mutating func whole(_ value: JSONValue?, _ field: String) -> Int? {
        switch value {
        case nil: return nil
        case .int(let number)?: return number
        case let other?:
            issue(field, "expected a whole number, found \(JSONValue.kindPhrase(other))")
            return nil
        }
    }

    private mutating func issue(_ field: String, _ message: String) {
        issues.append(RuntimeSpecIssue(field: field.isEmpty ? path : "\(path).\(field)", message: message))
    }
}
