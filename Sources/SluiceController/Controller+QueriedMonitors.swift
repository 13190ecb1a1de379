import SluiceCore

extension Controller {
    /// The `metric: prometheus` monitors' readings: for each serving version, the last
    /// tumbling window (aligned to the epoch, like the data plane's) that ended at least a
    /// settling delay ago and was not judged yet, queried at the window's end. A restart
    /// judges no window twice: the last judged end is in the saved status.
    func queriedMonitorReadings(_ desired: DesiredState, now: Double) async -> [(model: String, monitor: Monitor, reading: MonitorReading)] {
        struct Planned {
            var model: String
            var monitor: Monitor
            var version: String
            var end: Int64
            var key: QueryBatch.Key?
        }
        var batch = QueryBatch()
        var planned: [Planned] = []
        for name in desired.models.keys.sorted() {
            guard let deployment = desired.models[name]?.deployment, let state = states[name],
                  let route = RolloutEngine.route(for: state) else { continue }
            for monitor in deployment.monitors where monitor.metric == .prometheus {
                guard let query = monitor.query else { continue }
                let length = Int64(Self.seconds(monitor.window))
                // The last scrape of a window lands shortly after its end.
                let settle = min(max(length / 10, 2), 30)
                let end = (Int64(now) - settle) / length * length
                guard end > 0 else { continue }
                for version in route.versions.map(\.name) {
                    if let latest = monitorStatuses[name]?["\(monitor.name)/\(version)"]?.latest, latest.windowEnd >= end { continue }
                    let key = metricsProvider.map { provider in
                        batch.add(query.render(QueryTemplate.Values(
                            model: name, version: version, stableVersion: state.stable?.primary ?? version,
                            window: monitor.window, namespace: provider.namespace)), at: Double(end))
                    }
                    planned.append(Planned(model: name, monitor: monitor, version: version, end: end, key: key))
                }
            }
        }
        var outcomes: [QueryBatch.Key: QueryOutcome] = [:]
        if let provider = metricsProvider, !batch.isEmpty {
            outcomes = await batch.run(on: provider.client, limit: provider.maxConcurrentQueries, observe: metrics.recordQuery)
        }
        let missing = QueryOutcome.failed(MetricQueryError(.notConfigured, "no Prometheus is configured (controller.prometheus in sluice.yaml)"))
        return planned.map { plan in
            let length = Int64(Self.seconds(plan.monitor.window))
            let outcome = plan.key.map { outcomes[$0] ?? missing } ?? missing
            let reading = MonitorEvaluator.evaluate(
                MonitorEvaluator.Question(plan.monitor), version: plan.version,
                windowStart: plan.end - length, windowEnd: plan.end, outcome: outcome)
            return (plan.model, plan.monitor, reading)
        }
    }
}
