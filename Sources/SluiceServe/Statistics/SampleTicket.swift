/// A request's claim on one row of its version's sample reservoir.
///
/// Returned by ``TrafficStatistics/admitSample(model:version:)``; pass it to
/// ``TrafficStatistics/storeInputs(_:_:)`` and ``TrafficStatistics/storeOutputs(_:_:)``.
/// When a later request takes the row first, the ticket's writes are dropped, so a row
/// never mixes two requests.
public struct SampleTicket: Sendable {
    let statistics: VersionStatistics
    let slot: Int
    let generation: UInt64

    /// The model of the sampled request.
    public var model: String { statistics.model }
    /// The version that served the sampled request.
    public var version: String { statistics.version }
}
