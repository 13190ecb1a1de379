import Atomics
import NIOConcurrencyHelpers
import SluiceCore

/// A ready upstream the gateway may send a version's requests to (one replica's process,
/// or an external endpoint). It counts requests in flight, so that the gateway can prefer
/// the least loaded replica and a replica being removed is stopped only once they are
/// answered, and requests completed, for the autoscaler's rate.
final class UpstreamTarget: Sendable {
    let model: String
    let version: String
    let address: UpstreamAddress
    /// The replica's gRPC listener, when its runtime names `{grpcPort}`.
    let grpcAddress: UpstreamAddress?
    /// The version as the statistics and monitoring tables key it, hashed once.
    let key: VersionKey
    /// `address` as the connection pools key it, hashed once.
    let pooledAddress: PooledAddress
    /// The `x-sluice-model` and `x-sluice-version` lines of every answer from this target,
    /// made once here rather than per answer.
    let answerFields: PreparedFieldLines
    /// The version's statistics and monitoring ring, as their tables hold them.
    let statisticsMemo = TableMemo<VersionStatistics>()
    let ringMemo = TableMemo<SpinningLockedBox<MonitoringRing>>()
    /// Requests in flight and completed: atomics, as every request changes them twice (a lock
    /// cost ~50 instructions each time). Each is read on its own, so nothing needs the two
    /// changed together.
    private let inFlightCount = ManagedAtomic(0)
    private let completedCount = ManagedAtomic(0)

    init(model: String, version: String, address: UpstreamAddress, grpcAddress: UpstreamAddress? = nil) {
        self.model = model
        self.version = version
        self.address = address
        self.grpcAddress = grpcAddress
        key = VersionKey(model: model, version: version)
        pooledAddress = PooledAddress(address)
        answerFields = PreparedFieldLines(["x-sluice-model": model, "x-sluice-version": version])
    }

    var inFlight: Int { inFlightCount.load(ordering: .relaxed) }

    /// Requests answered (or failed) since the target was made.
    var completed: Int { completedCount.load(ordering: .relaxed) }

    func begin() { inFlightCount.wrappingIncrement(ordering: .relaxed) }

    func end() {
        inFlightCount.wrappingDecrement(ordering: .relaxed)
        completedCount.wrappingIncrement(ordering: .relaxed)
    }
}

/// The ready replicas of one version (never empty). Picks by the power of two choices:
/// two replicas drawn at random, the one with fewer requests in flight wins, which keeps
/// outstanding requests nearly even without a scan over every replica.
final class ReplicaSet: Sendable {
    let targets: [UpstreamTarget]

    /// - Precondition: `targets` is not empty.
    init(_ targets: [UpstreamTarget]) {
        self.targets = targets
    }

    /// The replica a request goes to; with one replica that one, without drawing a number.
    func pick() -> UpstreamTarget {
        let count = targets.count
        if count == 1 { return targets[0] }
        return pick(among: count, random: FastRandom.next(), skipping: nil)
    }

    /// A ready replica other than `failed`, for a retry; nil when there is none.
    func pick(excluding failed: UpstreamTarget) -> UpstreamTarget? {
        guard let index = targets.firstIndex(where: { $0 === failed }) else { return pick() }
        switch targets.count {
        case 1: return nil
        case 2: return targets[1 - index]
        default: return pick(among: targets.count, random: FastRandom.next(), skipping: index)
        }
    }

    /// Two distinct candidates from one random draw (low and high halves), the less loaded
    /// wins; `skipping` is left out of the draw.
    private func pick(among count: Int, random: UInt64, skipping: Int?) -> UpstreamTarget {
        let pool = skipping == nil ? count : count - 1
        if pool == 1 { return targets[skipping == 0 ? 1 : 0] }
        var first = Int(UInt64(UInt32(truncatingIfNeeded: random)) % UInt64(pool))
        var second = Int((random >> 32) % UInt64(pool - 1))
        if second >= first { second += 1 }
        if let skipping {
            if first >= skipping { first += 1 }
            if second >= skipping { second += 1 }
        }
        let a = targets[first]
        let b = targets[second]
        return b.inFlight < a.inFlight ? b : a
    }
}

/// The routes of one model as the gateway sees them: its spec, a picker, and per version
/// the replicas that may get traffic now (ready ones only).
final class ModelRoutes: Sendable {
    let spec: ModelRuntime
    let picker: VersionPicker
    let ready: [String: ReplicaSet]
    /// ``ready``, searched as a list while it is short (``replicas(_:)``).
    private let readyLookup: SmallLookup<String, ReplicaSet>
    /// The picker's weighted step for this table's readiness, made once.
    let weighted: VersionPicker.WeightedChoice
    /// The input features monitoring sketches (the spec's `sketchInputs`).
    let sketchInputs: Set<String>
    /// For a mirror with pairing (a shadow step), the tolerances agreement is counted at:
    /// the route's, and 0 (exact) always; nil for a mirror whose answers are discarded.
    let mirrorTolerances: [Double]?
    /// The model server's paths for this model's inference and metadata, made once per
    /// table instead of per request.
    let inferPath: String
    let metadataPath: String

    init(spec: ModelRuntime, picker: VersionPicker, ready: [String: ReplicaSet]) {
        self.spec = spec
        metadataPath = "/v2/models/\(spec.name)"
        inferPath = "/v2/models/\(spec.name)/infer"
        self.picker = picker
        self.ready = ready
        readyLookup = SmallLookup(ready)
        weighted = picker.weightedChoice { ready[$0] != nil }
        sketchInputs = Set(spec.sketchInputs ?? [])
        mirrorTolerances = spec.route.mirror?.pairing.map { Array(Set([0] + $0.tolerances)).sorted() }
    }

    func isReady(_ version: String) -> Bool { ready[version] != nil }

    /// The ready replicas of `version`; nil when it has none. Per request: a model has a few
    /// versions, compared by name (``SmallLookup``).
    func replicas(_ version: String) -> ReplicaSet? { readyLookup[version] }
}

/// The immutable route table; the supervisor publishes a new one whenever readiness or
/// the spec changes, and a request reads exactly one table (an atomic swap). A class, so
/// that reading it per request costs one reference count, not a copy.
final class RoutingTable: Sendable {
    let revision: String?
    let models: [String: ModelRoutes]
    /// `models` searched as a short list when there are few (``routes(of:)``).
    private let lookup: SmallLookup<String, ModelRoutes>

    init(revision: String?, models: [String: ModelRoutes]) {
        self.revision = revision
        self.models = models
        lookup = SmallLookup(models)
    }

    /// The routes of `model`, as `models[model]`: compared with a few names rather than
    /// hashed (~300 instructions of each request; Benchmarks/README.md, "Hot path, slice 54").
    func routes(of model: String) -> ModelRoutes? {
        lookup[model]
    }

    static let empty = RoutingTable(revision: nil, models: [:])

    /// The models no request could be routed to now (no ready version with weight), sorted:
    /// the server is ready when there are none.
    var modelsWithoutReadyVersion: [String] {
        models.values.filter { model in
            !model.picker.effectiveWeights(isReady: model.isReady).values.contains { $0 > 0 }
        }.map(\.spec.name).sorted()
    }
}

/// Holds the current table for concurrent readers. A request finds its model's routes
/// without a lock (``routes(of:)``): each thread keeps the table it read last, and reads the
/// box again only when a newer one was published since, which it learns from a generation
/// number it loads and never writes. The lock, and a reference count on the table, were
/// writes to cache lines every event loop shares, moved between cores on each request
/// (Benchmarks/README.md, "Hot path, slice 61").
final class RoutingTableBox: Sendable {
    private struct Published {
        var table: RoutingTable
        var generation: UInt64
    }

    /// A thread's last read of a box: its table is kept until the thread reads a newer one
    /// (of this box or another) or ends, so it cannot be freed while the thread uses it.
    /// Held unmanaged, so that a request's reading costs no reference count.
    private final class Reader {
        var box: UInt64 = 0
        var generation: UInt64 = 0
        private(set) var table = Unmanaged.passRetained(RoutingTable.empty)

        func keep(_ published: Published, of box: UInt64) {
            let old = table
            table = .passRetained(published.table)
            old.release()
            self.box = box
            generation = published.generation
        }

        deinit { table.release() }
    }

    private let published = NIOLockedValueBox(Published(table: .empty, generation: 0))
    /// `published.generation`, stored under the lock after the table.
    private let generation = ManagedAtomic<UInt64>(0)
    /// Tells this box's tables from another's in a thread's ``Reader`` (an address may be
    /// reused; a number from `identities` is not).
    private let identity = RoutingTableBox.identities.wrappingIncrementThenLoad(ordering: .relaxed)
    private static let identities = ManagedAtomic<UInt64>(0)
    private static let readers = ThreadLocalObject { Reader() }

    var current: RoutingTable { published.withLockedValue { $0.table } }

    func publish(_ newTable: RoutingTable) {
        published.withLockedValue { published in
            published = Published(table: newTable, generation: published.generation &+ 1)
            generation.store(published.generation, ordering: .releasing)
        }
    }

    /// The routes of `model` in the current table (``RoutingTable/routes(of:)``), read
    /// without a lock once the calling thread has read this table.
    func routes(of model: String) -> ModelRoutes? {
        Self.readers.unmanaged._withUnsafeGuaranteedRef { reader in
            if reader.box != identity || reader.generation != generation.load(ordering: .acquiring) {
                reader.keep(published.withLockedValue { $0 }, of: identity)
            }
            return reader.table._withUnsafeGuaranteedRef { $0.routes(of: model) }
        }
    }
}
