import NIOConcurrencyHelpers
import SluiceCore

/// A ready upstream the gateway may send a version's requests to. It counts requests in
/// flight so that a version being removed is stopped only once they are answered.
final class UpstreamTarget: Sendable {
    let model: String
    let version: String
    let address: UpstreamAddress
    private let inFlightCount = NIOLockedValueBox(0)

    init(model: String, version: String, address: UpstreamAddress) {
        self.model = model
        self.version = version
        self.address = address
    }

    var inFlight: Int { inFlightCount.withLockedValue { $0 } }

    func begin() { inFlightCount.withLockedValue { $0 += 1 } }

    func end() { inFlightCount.withLockedValue { $0 -= 1 } }
}

/// The routes of one model as the gateway sees them: its spec, a picker, and the
/// versions that may get traffic now (ready ones only).
final class ModelRoutes: Sendable {
    let spec: ModelRuntime
    let picker: VersionPicker
    let ready: [String: UpstreamTarget]
    /// The input features monitoring sketches (the spec's `sketchInputs`).
    let sketchInputs: Set<String>

    init(spec: ModelRuntime, picker: VersionPicker, ready: [String: UpstreamTarget]) {
        self.spec = spec
        self.picker = picker
        self.ready = ready
        sketchInputs = Set(spec.sketchInputs ?? [])
    }

    func isReady(_ version: String) -> Bool { ready[version] != nil }
}

/// The immutable route table; the supervisor publishes a new one whenever readiness or
/// the spec changes, and a request reads exactly one table (an atomic swap). A class, so
/// that reading it per request costs one reference count, not a copy.
final class RoutingTable: Sendable {
    let revision: String?
    let models: [String: ModelRoutes]

    init(revision: String?, models: [String: ModelRoutes]) {
        self.revision = revision
        self.models = models
    }

    static let empty = RoutingTable(revision: nil, models: [:])
}

/// Holds the current table for concurrent readers.
final class RoutingTableBox: Sendable {
    private let table = NIOLockedValueBox(RoutingTable.empty)

    var current: RoutingTable { table.withLockedValue { $0 } }

    func publish(_ newTable: RoutingTable) { table.withLockedValue { $0 = newTable } }
}
