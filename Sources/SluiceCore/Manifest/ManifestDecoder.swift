/// Turns a document that passed validation into a ``ModelDeployment`` with defaults filled in.
///
/// It is only called on documents without errors, so a field of the wrong shape cannot occur;
/// where one would, the documented default is used rather than trapping.
enum ManifestDecoder {
    static func decode(_ root: YAMLNode) -> ModelDeployment {
        let metadata = root["metadata"], spec = root["spec"]
        let versions = (spec?.list("versions") ?? []).map { node in
            ModelVersion(
                name: node.string("name") ?? "", artifact: node.string("artifact") ?? "",
                digest: node.string("digest").flatMap { Digest.parse($0).value })
        }
        var traffic = Dictionary(uniqueKeysWithValues: versions.map { ($0.name, 0) })
        if let entries = spec?["traffic"]?.entries {
            for entry in entries {
                if let name = entry.key.scalar?.text, case .int(let weight)? = entry.value.scalar?.value {
                    traffic[name] = weight
                }
            }
        } else if versions.count == 1 {
            traffic[versions[0].name] = 100
        }
        var labels: [String: String] = [:]
        for entry in metadata?["labels"]?.entries ?? [] {
            if let key = entry.key.scalar?.text, case .string(let value)? = entry.value.scalar?.value {
                labels[key] = value
            }
        }
        let routingNode = spec?["routing"]
        let routing = Routing(
            stickyHeader: routingNode?.string("stickyHeader"),
            mirror: routingNode?["mirror"].map { Mirror(version: $0.string("version") ?? "", percent: $0.int("percent") ?? 0) })
        var deployment = ModelDeployment(
            name: metadata?.string("name") ?? "", labels: labels, runtime: spec?.string("runtime") ?? "",
            versions: versions, traffic: traffic, routing: routing,
            rollout: spec?["rollout"].map(decodeRollout), monitors: (spec?.list("monitors") ?? []).map(decodeMonitor),
            scaling: spec?["scaling"].map(decodeScaling))
        deployment.windows = (spec?.list("windows") ?? []).compactMap(ChangeWindow.init(node:))
        return deployment
    }

    /// `spec.scaling` with its defaults: minReplicas 1, maxReplicas = minReplicas, target
    /// concurrency 4, scaleDownDelay 5m (see ``ReplicaScaling``).
    static func decodeScaling(_ node: YAMLNode) -> ReplicaScaling {
        let minimum = node.int("minReplicas") ?? 1
        var target = ReplicaScaling.defaultTarget
        if let value = node["target"]?.number(ReplicaScaling.Target.Metric.rps.rawValue) {
            target = .rps(value)
        } else if let value = node["target"]?.number(ReplicaScaling.Target.Metric.concurrency.rawValue) {
            target = .concurrency(value)
        }
        return ReplicaScaling(
            minReplicas: minimum, maxReplicas: node.int("maxReplicas") ?? minimum, target: target,
            scaleDownDelay: node.duration("scaleDownDelay") ?? ReplicaScaling.defaultScaleDownDelay)
    }

    static func decodeRollout(_ node: YAMLNode) -> Rollout {
        let steps: [RolloutStep] = node.list("steps").compactMap { step in
            if let weight = step.int("weight") { return .weight(weight) }
            if let pause = step.duration("pause") { return .pause(pause) }
            if step.entry("approval") != nil { return .approval }
            if let shadow = step["shadow"] {
                return .shadow(ShadowStep(percent: shadow.int("percent") ?? 100, duration: shadow.duration("duration") ?? .seconds(600)))
            }
            return nil
        }
        let analysis = node["analysis"].map { analysis in
            Analysis(
                interval: analysis.duration("interval") ?? .seconds(60),
                minRequests: analysis.int("minRequests") ?? 100,
                failureLimit: analysis.int("failureLimit") ?? 0,
                inconclusiveLimit: analysis.int("inconclusiveLimit") ?? 0,
                consecutiveErrorLimit: analysis.int("consecutiveErrorLimit") ?? 4,
                checks: analysis.list("checks").map(decodeCheck))
        }
        return Rollout(
            steps: steps, analysis: analysis,
            onAbort: node.enumeration("onAbort", as: AbortPolicy.self) ?? .rollback,
            progressDeadline: node.duration("progressDeadline") ?? .seconds(600),
            rollbackWindow: node.int("rollbackWindow") ?? 5)
    }

    static func decodeThresholds(_ node: YAMLNode) -> Thresholds {
        Thresholds(
            max: node.number("max"), min: node.number("min"),
            maxRatioToStable: node.number("maxRatioToStable"), minRatioToStable: node.number("minRatioToStable"))
    }

    static func decodeCheck(_ node: YAMLNode) -> AnalysisCheck {
        AnalysisCheck(
            metric: node.enumeration("metric", as: Metric.self) ?? .errorRate,
            inputs: node.strings("inputs"),
            test: node.enumeration("test", as: DriftTest.self),
            against: node.enumeration("against", as: Baseline.self) ?? .stable,
            reference: node.string("reference"),
            thresholds: decodeThresholds(node),
            name: node.string("name"),
            query: node.string("query").map(QueryTemplate.init),
            tolerance: node.number("tolerance"),
            quantile: node.number("quantile"))
    }

    static func decodeMonitor(_ node: YAMLNode) -> Monitor {
        Monitor(
            name: node.string("name") ?? "",
            metric: node.enumeration("metric", as: Metric.self) ?? .errorRate,
            inputs: node.strings("inputs"),
            test: node.enumeration("test", as: DriftTest.self),
            reference: node.string("reference"),
            thresholds: decodeThresholds(node),
            window: node.duration("window") ?? .seconds(3600),
            minSamples: node.int("minSamples") ?? 100,
            consecutiveWindows: node.int("consecutiveWindows") ?? 1,
            severity: node.enumeration("severity", as: Severity.self) ?? .warning,
            action: node.enumeration("action", as: MonitorAction.self) ?? .alert,
            critical: node["critical"].map { tier in
                MonitorTier(
                    thresholds: decodeThresholds(tier),
                    consecutiveWindows: tier.int("consecutiveWindows") ?? 1,
                    action: tier.enumeration("action", as: MonitorAction.self) ?? .alert)
            },
            query: node.string("query").map(QueryTemplate.init))
    }
}
