/// Where models run: the controller's one way to change and to see the data plane.
///
/// The controller decides; a backend carries the decision out and reports what runs. The
/// local `sluice serve` (over its admin API) is one; Kubernetes is another; tests use a
/// fake whose versions become ready when told to. Every method may be called concurrently
/// with itself; each answers with typed values, never raw JSON.
public protocol DataPlaneBackend: Sendable {
    /// Replaces the whole runtime spec (never a patch) and returns what runs now.
    func apply(_ spec: RuntimeSpec) async throws(DataPlaneError) -> ObservedState
    /// The spec in force, or nil when none was ever applied.
    func currentSpec() async throws(DataPlaneError) -> RuntimeSpec?
    /// What runs: per model and version, its phase and readiness.
    func observe() async throws(DataPlaneError) -> ObservedState
    /// Per-version traffic statistics over the last `windowSeconds`.
    func stats(windowSeconds: Int) async throws(DataPlaneError) -> StatsSnapshot
    /// Ended monitoring buckets that started after `after` (seconds since the epoch; nil: all kept).
    func monitoring(after: Int64?) async throws(DataPlaneError) -> MonitoringBatch
}

/// Why a backend call failed. The kind is what callers act on; the detail is for people.
public struct DataPlaneError: Error, Sendable, Hashable, CustomStringConvertible {
    public var kind: Kind
    /// What happened, with what the data plane said (never a token).
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { detail }

    /// What kind of failure it was.
    public enum Kind: Sendable, Hashable {
        /// No answer: not started yet, gone, or timed out.
        case unreachable
        /// The credentials it needs are not there yet (both planes starting together).
        case credentialsUnavailable
        /// It answered with an error status (the spec refused, a bad request).
        case refused(status: Int)
        /// It answered something that is not the expected document.
        case unreadable
    }
}
