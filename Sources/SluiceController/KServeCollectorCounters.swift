import SluiceCore

/// What the KServe payload-logger collector did with the events posted to it, for
/// `/metrics` and for tests. Counts only grow.
public struct KServeCollectorCounters: Sendable, Hashable {
    /// Events read and kept (joined to their other half, or waiting for it).
    public var accepted: UInt64 = 0
    /// Events for a model or version the collector was not told about (404).
    public var refusedUnknownVersion: UInt64 = 0
    /// Events whose body was over the size cap (413; the call still counts, without features).
    public var refusedTooLarge: UInt64 = 0
    /// Events dropped because the pending table was full (503).
    public var refusedPendingFull: UInt64 = 0
    /// Events whose headers or body could not be read (400).
    public var malformed: UInt64 = 0
    /// Repeats of a half already waiting (dropped).
    public var duplicates: UInt64 = 0
    /// Calls whose request and response were joined.
    public var joins: UInt64 = 0
    /// Requests whose response never came in time: recorded as failed calls.
    public var expiredRequests: UInt64 = 0
    /// Responses whose request never came in time: recorded without inputs.
    public var expiredResponses: UInt64 = 0

    /// Creates zero counts.
    public init() {}

    /// Writes the counters as Prometheus families, with `pending` halves waiting now.
    public func write(into exposition: inout PrometheusExposition, pending: Int) {
        exposition.family("sluice_kserve_events_total", .counter, help: "KServe payload-logger events posted to the collector, by outcome.")
        for (outcome, value) in [
            ("accepted", accepted), ("unknown_version", refusedUnknownVersion), ("too_large", refusedTooLarge),
            ("pending_full", refusedPendingFull), ("malformed", malformed), ("duplicate", duplicates),
        ] {
            exposition.sample("sluice_kserve_events_total", [("outcome", outcome)], value)
        }
        exposition.family("sluice_kserve_joins_total", .counter, help: "Inference calls whose request and response events were joined.")
        exposition.sample("sluice_kserve_joins_total", [], joins)
        exposition.family("sluice_kserve_expired_total", .counter, help: "Events that waited too long for their other half, by half.")
        exposition.sample("sluice_kserve_expired_total", [("half", "request")], expiredRequests)
        exposition.sample("sluice_kserve_expired_total", [("half", "response")], expiredResponses)
        exposition.family("sluice_kserve_pending", .gauge, help: "Events waiting for their other half.")
        exposition.sample("sluice_kserve_pending", [], UInt64(max(0, pending)))
    }
}
