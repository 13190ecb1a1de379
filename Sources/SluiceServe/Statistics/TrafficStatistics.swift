import Atomics
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import SluiceCore

/// What the gateway saw of each model version: request and error counts, latency
/// quantiles (cumulative and over the last few tumbling windows), and a bounded uniform
/// sample of request features for drift monitors.
///
/// It is called from every event loop at once. Recording a request takes a table lock for
/// a dictionary lookup and the version's own lock for a few additions; it allocates only
/// for the first request of a version (every histogram is allocated then).
///
/// Mirrored copies are counted apart from served requests: a version's requests, errors,
/// status classes, latencies and samples are served traffic only, so a sum over versions is
/// the number of calls clients made. Call it only with declared versions (the table grows
/// with every new name) and ``retain(models:)`` after each spec change: a version that left
/// the spec is kept, marked removed, for as long as the windows reach back, then dropped.
public final class TrafficStatistics: Sendable {
    /// The length of one tumbling window.
    public let windowSeconds: Int
    /// How many windows are kept; snapshots reach back at most `windowSeconds * windowCount`.
    public let windowCount: Int
    /// Sampled requests kept per version.
    public let reservoirSize: Int
    /// Distinct input (and, separately, output) feature names kept per version.
    public let maxFeatures: Int
    /// Feature values kept per sampled request and side, shared evenly among its features.
    public let valuesPerRow: Int

    private let now: @Sendable () -> UInt64
    private let windowNanoseconds: UInt64
    private let table = NIOLockedValueBox<[VersionKey: TableEntry]>([:])
    /// Bumped whenever the table drops a version (``TableMemo``).
    private let dropped = ManagedAtomic(0)

    /// Changes whenever the table drops a version: a version's statistics read at another
    /// generation may be ones the table no longer holds.
    var generation: Int { dropped.load(ordering: .acquiring) }

    /// Creates empty statistics.
    /// - Parameters:
    ///   - windowSeconds: the length of one tumbling window (at least 1).
    ///   - windowCount: how many windows are kept (at least 1).
    ///   - reservoirSize: sampled requests kept per version; 0 turns sampling off.
    ///   - maxFeatures: distinct feature names kept per version and side; later ones are dropped.
    ///   - valuesPerRow: feature values kept per sampled request and side (at least 1).
    ///   - now: a monotonic clock in nanoseconds, injected by tests.
    public init(
        windowSeconds: Int = 10,
        windowCount: Int = 30,
        reservoirSize: Int = 512,
        maxFeatures: Int = 64,
        valuesPerRow: Int = 64,
        now: @Sendable @escaping () -> UInt64 = { NIODeadline.now().uptimeNanoseconds }
    ) {
        precondition(windowSeconds >= 1 && windowCount >= 1, "a window lasts at least a second and at least one is kept")
        precondition(reservoirSize >= 0 && maxFeatures >= 0 && valuesPerRow >= 1, "sampling limits must be positive")
        self.windowSeconds = windowSeconds
        self.windowCount = windowCount
        self.reservoirSize = reservoirSize
        self.maxFeatures = maxFeatures
        self.valuesPerRow = valuesPerRow
        self.now = now
        windowNanoseconds = UInt64(windowSeconds) * 1_000_000_000
    }

    /// Counts one request answered (or not) by a version.
    /// - Parameters:
    ///   - status: the HTTP status returned, or 0 when the upstream gave no response;
    ///     5xx and 0 are errors.
    ///   - latencyMicros: the time to the response, in microseconds (capped at one minute).
    ///   - mirrored: whether this was a mirrored (shadow) copy of a request.
    public func record(model: String, version: String, status: Int, latencyMicros: UInt64, mirrored: Bool = false) {
        record(statistics(model: model, version: version), status: status, latencyMicros: latencyMicros, mirrored: mirrored)
    }

    /// ``record(model:version:status:latencyMicros:mirrored:)`` for a version looked up once
    /// (``statistics(model:version:)``) by a caller that records more than once per request.
    func record(_ statistics: VersionStatistics, status: Int, latencyMicros: UInt64, mirrored: Bool) {
        let epoch = currentEpoch()
        statistics.traffic.withLockedValue { counters in
            counters.record(status: status, latencyMicros: latencyMicros, mirrored: mirrored, epoch: epoch)
        }
    }

    /// Decides, before any body is parsed, whether this request enters the version's
    /// sample reservoir; nil when it does not (most requests, once the reservoir is full).
    public func admitSample(model: String, version: String) -> SampleTicket? {
        guard reservoirSize > 0 else { return nil }
        return admitSample(statistics(model: model, version: version))
    }

    /// ``admitSample(model:version:)`` for a version looked up once.
    func admitSample(_ statistics: VersionStatistics) -> SampleTicket? {
        guard reservoirSize > 0 else { return nil }
        guard let claim = statistics.samples.withLockedValue({ $0.admit() }) else { return nil }
        return SampleTicket(statistics: statistics, slot: claim.slot, generation: claim.generation)
    }

    /// Stores a sampled request's input features, unless a later request took its row.
    public func storeInputs(_ ticket: SampleTicket, _ features: [(name: String, values: [FeatureValue])]) {
        store(ticket, features, outputs: false)
    }

    /// Stores a sampled request's output features, unless a later request took its row.
    public func storeOutputs(_ ticket: SampleTicket, _ features: [(name: String, values: [FeatureValue])]) {
        store(ticket, features, outputs: true)
    }

    /// Stores a sampled request's input and output features (no outputs: the inputs alone) in
    /// one hold of the reservoir's lock, unless a later request took its row: the gateway reads
    /// both once the answer is in.
    func store(_ ticket: SampleTicket, inputs: [(name: String, values: [FeatureValue])], outputs: [(name: String, values: [FeatureValue])]) {
        let trimmedInputs = SampleReservoir.trimmed(inputs, maxFeatures: maxFeatures, valuesPerRow: valuesPerRow)
        let trimmedOutputs = outputs.isEmpty ? [] : SampleReservoir.trimmed(outputs, maxFeatures: maxFeatures, valuesPerRow: valuesPerRow)
        let maxFeatures = self.maxFeatures
        ticket.statistics.samples.withLockedValue { reservoir in
            reservoir.store(trimmedInputs, outputs: false, slot: ticket.slot, generation: ticket.generation, maxFeatures: maxFeatures)
            guard !outputs.isEmpty else { return }
            reservoir.store(trimmedOutputs, outputs: true, slot: ticket.slot, generation: ticket.generation, maxFeatures: maxFeatures)
        }
    }

    /// Drops everything kept for one version, at once.
    public func forget(model: String, version: String) {
        table.withLockedValue { table in
            guard table.removeValue(forKey: VersionKey(model: model, version: version)) != nil else { return }
            dropped.wrappingIncrement(ordering: .releasing)
        }
    }

    /// Marks every version that is not listed (model name to version names) as removed: its
    /// numbers stay readable, flagged, until the kept windows no longer reach back to its
    /// removal (`windowSeconds * windowCount`), so the traffic behind an aborted candidate
    /// can still be read. A listed version that was marked removed is live again: its totals
    /// continue (Prometheus sees no reset) and its windows start empty, so the analysis of a
    /// retried candidate judges the new attempt's traffic, not the one it was aborted for.
    public func retain(models: [String: Set<String>]) {
        let removal = Removal(epoch: currentEpoch(), at: Date())
        let returned = table.withLockedValue { table -> [VersionStatistics] in
            var returned: [VersionStatistics] = []
            for (key, entry) in table {
                if models[key.model]?.contains(key.version) == true {
                    guard entry.removal != nil else { continue }
                    table[key]?.removal = nil
                    returned.append(entry.statistics)
                } else if entry.removal == nil {
                    table[key]?.removal = removal
                }
            }
            expire(&table, epoch: removal.epoch)
            return returned
        }
        // Outside the table lock: a version's lock is never taken under it.
        for statistics in returned {
            statistics.traffic.withLockedValue { $0.clearWindows() }
            statistics.shadow.withLockedValue { $0.clearWindows() }
        }
    }

    // MARK: Internals shared with the reports

    /// The index of the window that contains now.
    func currentEpoch() -> UInt64 { now() / windowNanoseconds }

    /// The clock's reading now, in nanoseconds.
    func nowNanoseconds() -> UInt64 { now() }

    /// The windows that cover the last `seconds` (all kept windows when nil), at least one.
    func windowsCovering(seconds: Int?) -> Int {
        guard let seconds else { return windowCount }
        let windows = seconds <= 0 ? 1 : (seconds - 1) / windowSeconds + 1
        return min(max(windows, 1), windowCount)
    }

    /// Every version, sorted by model then version name, with its removal when it left the
    /// spec; removed versions whose windows have all passed are dropped first.
    func sortedVersions() -> [TableEntry] {
        let epoch = currentEpoch()
        return table.withLockedValue { table in
            expire(&table, epoch: epoch)
            return table.sorted { $0.key < $1.key }.map(\.value)
        }
    }

    /// Drops the removed versions that no kept window reaches back to.
    private func expire(_ table: inout [VersionKey: TableEntry], epoch: UInt64) {
        let windowCount = UInt64(self.windowCount)
        func expired(_ entry: TableEntry) -> Bool {
            guard let removal = entry.removal else { return false }
            return epoch >= removal.epoch && epoch - removal.epoch >= windowCount
        }
        // A scrape reads the table often; it is rebuilt only when something expired.
        guard table.values.contains(where: expired) else { return }
        table = table.filter { !expired($0.value) }
        dropped.wrappingIncrement(ordering: .releasing)
    }

    func statistics(model: String, version: String) -> VersionStatistics {
        statistics(VersionKey(model: model, version: version))
    }

    /// The version's statistics, made on first use.
    func statistics(_ key: VersionKey) -> VersionStatistics {
        if let found = table.withLockedValue({ $0[key]?.statistics }) { return found }
        // Allocate outside the table lock; the loser of a race drops its copy.
        let created = VersionStatistics(
            model: key.model, version: key.version, windowSeconds: windowSeconds, windowCount: windowCount, reservoirSize: reservoirSize)
        return table.withLockedValue { table in
            if let found = table[key]?.statistics { return found }
            table[key] = TableEntry(statistics: created)
            return created
        }
    }

    private func store(_ ticket: SampleTicket, _ features: [(name: String, values: [FeatureValue])], outputs: Bool) {
        let trimmed = SampleReservoir.trimmed(features, maxFeatures: maxFeatures, valuesPerRow: valuesPerRow)
        let maxFeatures = self.maxFeatures
        ticket.statistics.samples.withLockedValue { reservoir in
            reservoir.store(trimmed, outputs: outputs, slot: ticket.slot, generation: ticket.generation, maxFeatures: maxFeatures)
        }
    }
}
