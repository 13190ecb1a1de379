import SluiceCore

/// Prometheus gauges of the route table: configured and effective weight and readiness
/// per version.
enum RouteGauges {
    static func text(_ table: RoutingTable) -> String {
        var weight = "# HELP sluice_route_weight_percent Configured share of traffic per version.\n# TYPE sluice_route_weight_percent gauge\n"
        var effective = "# HELP sluice_route_effective_weight_percent Share of traffic per version given readiness.\n# TYPE sluice_route_effective_weight_percent gauge\n"
        var ready = "# HELP sluice_version_ready Whether a version may get traffic (1) or not (0).\n# TYPE sluice_version_ready gauge\n"
        for name in table.models.keys.sorted() {
            guard let model = table.models[name] else { continue }
            let shares = model.picker.effectiveWeights(isReady: model.isReady)
            for version in model.spec.versions {
                let labels = "{model=\"\(PrometheusLabel.escape(name))\",version=\"\(PrometheusLabel.escape(version.name))\"}"
                weight += "sluice_route_weight_percent\(labels) \(model.spec.route.weights[version.name] ?? 0)\n"
                effective += "sluice_route_effective_weight_percent\(labels) \(shares[version.name] ?? 0)\n"
                ready += "sluice_version_ready\(labels) \(model.isReady(version.name) ? 1 : 0)\n"
            }
        }
        return weight + effective + ready
    }
}

/// Prometheus label-value escaping.
package enum PrometheusLabel {
    package static func escape(_ value: String) -> String {
        var output = ""
        for character in value {
            switch character {
            case "\\": output += "\\\\"
            case "\"": output += "\\\""
            case "\n": output += "\\n"
            default: output.append(character)
            }
        }
        return output
    }
}
