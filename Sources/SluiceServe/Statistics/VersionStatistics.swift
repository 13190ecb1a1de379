import Atomics
import Foundation
import NIOConcurrencyHelpers
import SluiceCore

/// The statistics of one model version. Traffic, samples and shadow tallies have a lock
/// each, so that recording a request and admitting a sample do not wait on each other, and
/// versions never wait on one another.
final class VersionStatistics: Sendable {
    let model: String
    let version: String
    let traffic: SpinningLockedBox<TrafficCounters>
    let samples: SpinningLockedBox<SampleReservoir>
    /// As a mirror target: its copies, shed copies and (for a paired mirror) pairs.
    let shadow: NIOLockedValueBox<ShadowWindows>
    /// Mirrored copies sent to it and not yet answered, against `serve.maxMirroredInFlight`.
    let mirroredInFlight = ManagedAtomic<Int>(0)
    /// Served gRPC calls per status code (indexed by the code's number).
    let grpcCodes = NIOLockedValueBox([UInt64](repeating: 0, count: GRPCStatusCode.allCases.count))

    init(model: String, version: String, windowSeconds: Int, windowCount: Int, reservoirSize: Int) {
        self.model = model
        self.version = version
        traffic = SpinningLockedBox(TrafficCounters(windowCount: windowCount))
        samples = SpinningLockedBox(SampleReservoir(capacity: reservoirSize, seed: UInt64.random(in: .min ... .max)))
        shadow = NIOLockedValueBox(ShadowWindows(windowSeconds: windowSeconds, windowCount: windowCount))
    }
}

/// A (model, version) pair as a dictionary key. Its hash is computed once, when it is made:
/// each routed request looks its version up twice (statistics, monitoring) with the key its
/// ``UpstreamTarget`` holds, and hashing both names each time cost ~300 instructions a lookup
/// (Benchmarks/README.md, "Hot path, slice 38").
struct VersionKey: Hashable, Sendable, Comparable {
    let model: String
    let version: String
    private let hashCode: Int

    init(model: String, version: String) {
        self.model = model
        self.version = version
        var hasher = Hasher()
        hasher.combine(model)
        hasher.combine(version)
        hashCode = hasher.finalize()
    }

    static func == (lhs: VersionKey, rhs: VersionKey) -> Bool {
        lhs.hashCode == rhs.hashCode && lhs.model == rhs.model && lhs.version == rhs.version
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(hashCode)
    }

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
