import Atomics
import NIOConcurrencyHelpers
import SluiceCore

/// A claim on one of a version's slots for mirrored copies in flight, from
/// ``TrafficStatistics/admitMirror(model:version:cap:tolerances:)``; given back with
/// ``TrafficStatistics/release(_:)`` once the copy is answered (or failed).
struct MirrorSlot: Sendable {
    let statistics: VersionStatistics
}

extension TrafficStatistics {
    /// Decides whether a mirrored copy of a request may be sent to `version`: nil when the
    /// version already has `cap` copies in flight, and the copy is counted as shed. The cap
    /// is one atomic counter per version; a paired mirror (`tolerances` not nil: agreement
    /// is counted at them) also counts the copy in the version's shadow windows.
    func admitMirror(model: String, version: String, cap: Int, tolerances: [Double]?) -> MirrorSlot? {
        let statistics = self.statistics(model: model, version: version)
        let inFlight = statistics.mirroredInFlight.loadThenWrappingIncrement(ordering: .relaxed)
        guard inFlight < cap else {
            statistics.mirroredInFlight.wrappingDecrement(ordering: .relaxed)
            let now = nowNanoseconds()
            statistics.shadow.withLockedValue { $0.recordShed(paired: tolerances != nil, now: now) }
            return nil
        }
        if let tolerances {
            let now = nowNanoseconds()
            statistics.shadow.withLockedValue { windows in
                windows.count(tolerances: tolerances)
                windows.recordCopy(now: now)
            }
        }
        return MirrorSlot(statistics: statistics)
    }

    /// Gives back a copy's slot once the copy is answered or failed.
    func release(_ slot: MirrorSlot) {
        slot.statistics.mirroredInFlight.wrappingDecrement(ordering: .relaxed)
    }

    /// Counts how a paired copy ended, in the window in which its second answer arrived.
    func recordShadow(_ outcome: ShadowPairOutcome, for slot: MirrorSlot) {
        let now = nowNanoseconds()
        slot.statistics.shadow.withLockedValue { $0.record(outcome, now: now) }
    }
}
