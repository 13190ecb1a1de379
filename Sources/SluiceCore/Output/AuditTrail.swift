/// One event of the audit trail, as `GET /v1/history` sends it and `sluice history --format
/// json` prints it: who did what, when, to which commit, and the analysis readings the event
/// reports. The schema is documented in `docs/controller.md` (*Audit export*); fields are
/// only ever added.
public struct AuditEvent: Codable, Sendable, Hashable {
    /// The event's sequence number: increasing, unique, the pagination cursor.
    public var id: Int64
    /// The model, or `_controller` for controller-wide events.
    public var model: String
    /// When, in seconds since 1970 (UTC).
    public var at: Double
    /// ``at`` in RFC 3339 (UTC, milliseconds).
    public var time: String
    /// What happened (`promoted`, `aborted`, `analysis`, …).
    public var kind: RolloutEvent.Kind
    /// What happened, for people.
    public var message: String
    /// Who: a token's name for a person's command, `controller`, `monitor` or `data plane` otherwise.
    public var actor: String
    /// The commit the event concerns; absent when none.
    public var revision: String?
    /// The readings of the analysis run an `analysis` event reports; empty for other events.
    public var measurements: [AuditMeasurement]

    public init(
        id: Int64, model: String, at: Double, time: String, kind: RolloutEvent.Kind, message: String, actor: String, revision: String?,
        measurements: [AuditMeasurement] = []
    ) {
        self.id = id
        self.model = model
        self.at = at
        self.time = time
        self.kind = kind
        self.message = message
        self.actor = actor
        self.revision = revision
        self.measurements = measurements
    }
}

/// One check's reading in an analysis run.
public struct AuditMeasurement: Codable, Sendable, Hashable {
    /// The check's metric (`error_rate`, `latency_p99_ms`, …).
    public var metric: String
    /// The candidate's value; absent when it could not be read.
    public var value: Double?
    /// The stable version's value on the same window, for a check against it.
    public var stableValue: Double?
    /// The threshold as written (`max 0.01`).
    public var threshold: String
    /// `Successful`, `Failed`, `Inconclusive`, `Error` or `Skipped`.
    public var verdict: String
    /// Why, for people.
    public var detail: String
    /// The candidate's traffic percentage during the run.
    public var weight: Int

    public init(metric: String, value: Double?, stableValue: Double?, threshold: String, verdict: String, detail: String, weight: Int) {
        self.metric = metric
        self.value = value
        self.stableValue = stableValue
        self.threshold = threshold
        self.verdict = verdict
        self.detail = detail
        self.weight = weight
    }
}

/// A page of the audit trail (`GET /v1/history`): events in the order they were recorded.
public struct AuditPage: Codable, Sendable, Hashable {
    public var events: [AuditEvent]
    /// The `after` of the next page; absent on the last page.
    public var next: Int64?

    public init(events: [AuditEvent], next: Int64?) {
        self.events = events
        self.next = next
    }
}
