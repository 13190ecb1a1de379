import SluiceCore

/// Prometheus gauges of the route table: configured and effective weight and readiness
/// per version.
enum RouteGauges {
    /// Writes `sluice_route_weight_percent`, `sluice_route_effective_weight_percent` and
    /// `sluice_version_ready`, each `{model,version}`, one family after the other.
    static func write(_ table: RoutingTable, into exposition: inout PrometheusExposition) {
        let rows = table.models.keys.sorted().flatMap { name -> [(labels: [(String, String)], weight: Double, effective: Double, ready: Bool)] in
            guard let model = table.models[name] else { return [] }
            let shares = model.picker.effectiveWeights(isReady: model.isReady)
            return model.spec.versions.map { version in
                ([("model", name), ("version", version.name)], Double(model.spec.route.weights[version.name] ?? 0),
                 shares[version.name] ?? 0, model.isReady(version.name))
            }
        }
        exposition.family("sluice_route_weight_percent", .gauge, help: "Configured share of traffic per version, in percent.")
        for row in rows { exposition.sample("sluice_route_weight_percent", row.labels, row.weight) }
        exposition.family(
            "sluice_route_effective_weight_percent", .gauge,
            help: "Share of traffic per version given readiness, in percent (a version that is not ready gets none).")
        for row in rows { exposition.sample("sluice_route_effective_weight_percent", row.labels, row.effective) }
        exposition.family("sluice_version_ready", .gauge, help: "Whether a version may get traffic (1) or not (0).")
        for row in rows { exposition.sample("sluice_version_ready", row.labels, UInt64(row.ready ? 1 : 0)) }
    }
}
