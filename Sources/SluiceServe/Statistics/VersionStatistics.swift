import Foundation
import NIOConcurrencyHelpers

/// The statistics of one model version. Traffic and samples have a lock each, so that
/// recording a request and admitting a sample do not wait on each other, and versions
/// never wait on one another.
final class VersionStatistics: Sendable {
    let model: String
    let version: String
    let traffic: NIOLockedValueBox<TrafficCounters>
    let samples: NIOLockedValueBox<SampleReservoir>

    init(model: String, version: String, windowCount: Int, reservoirSize: Int) {
        self.model = model
        self.version = version
        traffic = NIOLockedValueBox(TrafficCounters(windowCount: windowCount))
        samples = NIOLockedValueBox(SampleReservoir(capacity: reservoirSize, seed: UInt64.random(in: .min ... .max)))
    }
}

/// A (model, version) pair as a dictionary key.
struct VersionKey: Hashable, Sendable, Comparable {
    var model: String
    var version: String

    static func < (lhs: VersionKey, rhs: VersionKey) -> Bool {
        (lhs.model, lhs.version) < (rhs.model, rhs.version)
    }
}

/// A version's statistics in the table, and its removal once it left the spec.
struct TableEntry: Sendable {
    let statistics: VersionStatistics
    var removal: Removal?
}

/// When a version left the spec: the window it left in (for expiry) and the wall-clock time
/// (for people).
struct Removal: Sendable {
    var epoch: UInt64
    var at: Date
}
