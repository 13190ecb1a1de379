import Foundation
import Logging
import NIOConcurrencyHelpers
import SluiceConfig
import SluiceCore

/// Elects one leader among controller replicas through a `coordination.k8s.io/v1` Lease, with
/// client-go's semantics (k8s.io/client-go tools/leaderelection/leaderelection.go,
/// `tryAcquireOrRenew`, `renew`, `release`; kubernetes/kubernetes commit 0138c82):
///
/// - a replica takes the lease when it is absent, has no holder, or has not changed for
///   `leaseDuration` *as observed locally* (the remote renewTime is never compared with the
///   local clock, so clock skew between nodes does not matter);
/// - the leader renews every `retryPeriod` and stops leading when `renewDeadline` passes
///   without a successful renewal;
/// - a takeover adds one to `leaseTransitions`; `release()` clears the holder so a peer takes
///   over at its next try.
///
/// Like client-go it does not fence: a leader that stalls longer than the lease duration may
/// act beside its successor for a moment. `isLeader` turns false by itself once the renew
/// deadline passes, so check it before each pass.
public final class LeaderElector: Sendable {
    let client: KubernetesClient
    let namespace: String
    let config: LeaderElectionConfig
    /// This replica's name in `holderIdentity`.
    public let identity: String
    let logger: Logger
    let state = NIOLockedValueBox(State())

    /// What this replica last saw of the lease, and when.
    struct State {
        /// The lease as last read or written (for its resourceVersion).
        var lease: KubernetesObject?
        var observed = LeaseRecord()
        /// When `observed` was last seen to change (or was written): the local clock only.
        var observedAt: ContinuousClock.Instant?
        /// When this replica last acquired or renewed the lease.
        var renewedAt: ContinuousClock.Instant?
    }

    /// An elector of `identity` for the Lease `config.leaseName` in `namespace`; nothing happens until ``run()``.
    public init(client: KubernetesClient, namespace: String, config: LeaderElectionConfig, identity: String, logger: Logger) {
        self.client = client
        self.namespace = namespace
        self.config = config
        self.identity = identity
        self.logger = logger
    }

    /// Whether this replica leads now: it holds the lease and renewed it within `renewDeadline`.
    public var isLeader: Bool {
        state.withLockedValue { state in
            guard state.observed.holderIdentity == identity, let renewedAt = state.renewedAt else { return false }
            return ContinuousClock.now - renewedAt < Self.duration(config.renewDeadline)
        }
    }

    /// Acquires, then renews, until the task is cancelled; after losing the lease it tries to
    /// acquire again. Cancelling does not release the lease: a peer takes over once it expires.
    public func run() async {
        let retry = Self.duration(config.retryPeriod)
        while !Task.isCancelled {
            // Acquire: try every retryPeriod (jittered, as client-go's JitterUntil with factor 1.2).
            while !Task.isCancelled, !(await tryAcquireOrRenew()) {
                guard await Self.sleep(retry * Double.random(in: 1.0...2.2)) else { break }
            }
            if Task.isCancelled { break }
            logger.info("became the leader (Lease \(namespace)/\(config.leaseName), identity \(identity))")
            // Renew every retryPeriod; give up once renewDeadline passes without success.
            while !Task.isCancelled {
                guard await Self.sleep(retry) else { break }
                if await renew() { continue }
                if !isLeader {
                    logger.warning("lost the lease \(namespace)/\(config.leaseName): not renewed within \(config.renewDeadline)")
                    break
                }
            }
        }
        state.withLockedValue { $0.renewedAt = nil }
    }

    /// Gives the lease up, when this replica holds it: holderIdentity cleared and a 1 s
    /// duration (as client-go's `release`), so a peer takes over at its next try.
    public func release() async {
        var (held, lease, observed) = state.withLockedValue { ($0.observed.holderIdentity == identity, $0.lease, $0.observed) }
        // A renewal cut short by cancellation may have reached the server unseen, leaving the
        // cached resourceVersion stale: a conflict re-reads the lease and tries again.
        for attempt in 1...3 {
            guard held, let current = lease else { return }
            let now = Self.microTime(.now)
            var record = LeaseRecord()
            record.leaseDurationSeconds = 1
            record.leaseTransitions = observed.leaseTransitions
            record.acquireTime = now
            record.renewTime = now
            do {
                let stored = try await client.replace(Self.lease(current, with: record))
                observe(stored, record: record)
                state.withLockedValue { $0.renewedAt = nil }
                logger.info("released the lease \(namespace)/\(config.leaseName)")
                return
            } catch where error.kind == .conflict && attempt < 3 {
                guard let fresh = try? await client.get(.lease, namespace: namespace, name: config.leaseName) else { continue }
                observed = LeaseRecord(fresh)
                held = observed.holderIdentity == identity
                lease = fresh
            } catch {
                logger.warning("cannot release the lease \(namespace)/\(config.leaseName): \(error)")
                return
            }
        }
    }

    /// One renewal, cut off when the renew deadline passes (client-go bounds its renew loop by
    /// `RenewDeadline` the same way): a request lost on the way would otherwise hold the loop
    /// until the client's timeout, long after leadership lapsed, and delay the next acquire.
    func renew() async -> Bool {
        let left: Swift.Duration? = state.withLockedValue { state in
            state.renewedAt.map { $0 + Self.duration(config.renewDeadline) - ContinuousClock.now }
        }
        guard let left, left > .zero else { return false }
        return await withTaskGroup(of: Bool?.self) { group in
            group.addTask { await self.tryAcquireOrRenew() }
            group.addTask { await Self.sleep(left) ? nil : false }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? false
        }
    }

    /// One try (client-go `tryAcquireOrRenew`): true when this replica holds the lease after it.
    func tryAcquireOrRenew() async -> Bool {
        let clock = ContinuousClock()
        let now = Self.microTime(.now)
        var record = LeaseRecord(holderIdentity: identity, leaseDurationSeconds: Self.seconds(config.leaseDuration), acquireTime: now, renewTime: now)
        let current: KubernetesObject?
        do {
            current = try await client.get(.lease, namespace: namespace, name: config.leaseName)
        } catch {
            logger.warning("cannot read the lease \(namespace)/\(config.leaseName): \(error)")
            return false
        }
        guard let current else {
            do {
                let created = try await client.create(Self.newLease(name: config.leaseName, namespace: namespace, record: record))
                observe(created, record: record, renewed: true)
                return true
            } catch {
                logger.debug("cannot create the lease \(namespace)/\(config.leaseName): \(error)")
                return false
            }
        }
        let old = LeaseRecord(current)
        let (valid, held) = state.withLockedValue { state -> (Bool, Bool) in
            if state.observed != old || state.observedAt == nil {
                state.observed = old
                state.observedAt = clock.now
            }
            state.lease = current
            let expiry = state.observedAt.map { $0 + .seconds(old.leaseDurationSeconds) }
            return (expiry.map { clock.now < $0 } ?? false, old.holderIdentity == identity)
        }
        if !old.holderIdentity.isEmpty, valid, !held { return false }
        if held {
            record.acquireTime = old.acquireTime
            record.leaseTransitions = old.leaseTransitions
        } else {
            record.leaseTransitions = old.leaseTransitions + 1
        }
        do {
            let stored = try await client.replace(Self.lease(current, with: record))
            observe(stored, record: record, renewed: true)
            return true
        } catch {
            logger.debug("cannot update the lease \(namespace)/\(config.leaseName): \(error)")
            return false
        }
    }

    private func observe(_ lease: KubernetesObject, record: LeaseRecord, renewed: Bool = false) {
        state.withLockedValue { state in
            state.lease = lease
            state.observed = record
            state.observedAt = .now
            if renewed { state.renewedAt = .now }
        }
    }

    static func duration(_ value: SluiceCore.Duration) -> Swift.Duration { .milliseconds(value.milliseconds) }

    /// Whole seconds of a duration, at least 1 (the Lease field's unit).
    static func seconds(_ value: SluiceCore.Duration) -> Int { max(1, Int((value.milliseconds + 999) / 1000)) }

    /// False when cancelled.
    static func sleep(_ duration: Swift.Duration) async -> Bool {
        do {
            try await Task.sleep(for: duration)
            return true
        } catch {
            return false
        }
    }
}
