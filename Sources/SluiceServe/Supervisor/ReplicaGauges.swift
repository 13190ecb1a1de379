import NIOConcurrencyHelpers
import SluiceCore

/// The supervisor's replica counts as `/metrics` shows them: a snapshot it publishes when
/// something changes, read by the gateway's metrics answer without waiting for the actor.
struct ReplicaGauges: Sendable, Equatable {
    /// One version's replica counts.
    struct Row: Sendable, Equatable {
        var model: String
        var version: String
        var desired: Int
        var ready: Int
        /// Scale events of this run, up and down.
        var scaledUp: Int
        var scaledDown: Int
    }

    var rows: [Row] = []
    /// Model-server processes running now, and the cap.
    var processes = 0
    var maximum = 0

    /// Writes `sluice_replicas`, `sluice_scale_events_total`, `sluice_model_processes` and
    /// `sluice_model_processes_max`.
    func write(into exposition: inout PrometheusExposition) {
        exposition.family(
            "sluice_replicas", .gauge,
            help: "Replicas per version: desired (what the autoscaler wants, within the process cap) and ready (answering readiness).")
        for row in rows {
            exposition.sample("sluice_replicas", [("model", row.model), ("version", row.version), ("state", "desired")], UInt64(row.desired))
            exposition.sample("sluice_replicas", [("model", row.model), ("version", row.version), ("state", "ready")], UInt64(row.ready))
        }
        exposition.family("sluice_scale_events_total", .counter, help: "Changes of a version's replica count since the data plane started, by direction.")
        for row in rows {
            exposition.sample("sluice_scale_events_total", [("model", row.model), ("version", row.version), ("direction", "up")], UInt64(row.scaledUp))
            exposition.sample("sluice_scale_events_total", [("model", row.model), ("version", row.version), ("direction", "down")], UInt64(row.scaledDown))
        }
        exposition.family("sluice_model_processes", .gauge, help: "Model-server processes running, over every model, version and replica.")
        exposition.sample("sluice_model_processes", [], UInt64(processes))
        exposition.family("sluice_model_processes_max", .gauge, help: "The cap on model-server processes (serve.maxProcesses).")
        exposition.sample("sluice_model_processes_max", [], UInt64(maximum))
    }
}

/// Holds the latest ``ReplicaGauges`` for concurrent readers.
final class ReplicaGaugesBox: Sendable {
    private let gauges = NIOLockedValueBox(ReplicaGauges())

    var current: ReplicaGauges { gauges.withLockedValue { $0 } }

    func publish(_ new: ReplicaGauges) { gauges.withLockedValue { $0 = new } }
}
