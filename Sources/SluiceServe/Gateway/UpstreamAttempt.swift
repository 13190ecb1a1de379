import NIOConcurrencyHelpers
import NIOCore
import SluiceCore

/// One request sent to one target, as statistics and monitoring count it: what was looked
/// up when it went out, used again when its answer comes back
/// (``Gateway/beginAttempt(to:mirrored:inference:)`` and
/// ``Gateway/record(_:_:requestID:body:sketchInputs:)``, which decides what the request feeds).
struct UpstreamAttempt {
    let target: UpstreamTarget
    /// The version's counters, looked up once per attempt rather than once per use.
    let statistics: VersionStatistics
    /// The version's monitoring ring: for an inference request clients see, not a mirrored copy.
    let ring: SpinningLockedBox<MonitoringRing>?
    /// A mirrored copy: counted apart, feeding neither the samples nor the monitoring buckets.
    let mirrored: Bool
    let started: NIODeadline
}
