import NIOConcurrencyHelpers
import NIOCore
import SluiceCore

/// One request sent to one target, as statistics and monitoring count it: what was looked
/// up and admitted when it went out, used again when its answer comes back
/// (``Gateway/beginAttempt(to:requestID:body:sketchInputs:mirrored:)`` and
/// ``Gateway/record(_:_:requestID:sketchInputs:)``).
struct UpstreamAttempt {
    let target: UpstreamTarget
    /// The version's counters, looked up once per attempt rather than once per use.
    let statistics: VersionStatistics
    /// The version's monitoring ring: for an inference request clients see, not a mirrored copy.
    let ring: SpinningLockedBox<MonitoringRing>?
    /// The sample reservoir's slot, when this request was sampled.
    let ticket: SampleTicket?
    /// Whether this request feeds the monitoring sketches.
    let sketched: Bool
    /// The request's input features, read only when a sample or a sketch needs them.
    let inputs: [(name: String, values: [FeatureValue])]
    /// Whether the answer's outputs are read: samples, sketches or the prediction log need them.
    let readsAnswer: Bool
    /// Whether the request is an inference (its body was checked as JSON).
    let inference: Bool
    /// A mirrored copy: counted apart, feeding neither the samples nor the monitoring buckets.
    let mirrored: Bool
    let started: NIODeadline
}
