import Logging
import Foundation
import SluiceConfig
import SluiceCore
import SluiceGit
import SluiceStore

extension Controller {
    /// Collects the data plane's ended buckets, adds them to the monitors' windows, and
    /// judges every window that closed; asks Prometheus for the `metric: prometheus`
    /// monitors' windows that ended; then readings, tier changes, and their actions.
    func monitorPass() async {
        guard let desired, desired.models.values.contains(where: { !$0.deployment.monitors.isEmpty }) else { return }
        // Restored when the save fails, so the next collection judges the same buckets again.
        let before = (monitorWindows, monitorCursor, monitorStatuses)
        let now = clock.now()
        var judged = await sketchedMonitorReadings(desired)
        judged += await queriedMonitorReadings(desired, now: now)
        var statuses: [(model: String, status: MonitorStatus)] = []
        var readings: [(model: String, reading: MonitorReading)] = []
        var events: [ControllerStore.EventRecord] = []
        var rollbacks: [(model: String, firing: MonitorFiring)] = []
        for (model, monitor, reading) in judged {
            let key = "\(monitor.name)/\(reading.version)"
            let (status, firings) = MonitorTracker.observe(reading, monitor: monitor, status: monitorStatuses[model]?[key])
            monitorStatuses[model, default: [:]][key] = status
            metrics.recordMonitor(model: model, reading: reading, firing: status.firing != nil)
            statuses.append((model, status))
            readings.append((model, reading))
            for firing in firings {
                events.append(.init(model: model, event: Self.event(for: firing, monitor: monitor), actor: "monitor"))
                if let failure = await sendAlert(firing, model: model, monitor: monitor) {
                    events.append(.init(model: model, event: RolloutEvent(.alertFailed, failure), actor: "monitor"))
                }
                guard firing.kind == .firing else { continue }
                switch firing.action {
                case .alert: break
                case .rollback: rollbacks.append((model, firing))
                case .retrain: events += await retrain(model: model, monitor: monitor, firing: firing, at: now)
                }
            }
        }
        var changed: [RolloutState] = []
        var reverts: [ControllerStore.PendingRevert] = []
        for (model, firing) in rollbacks {
            guard let state = changed.last(where: { $0.name == model }) ?? states[model] else { continue }
            if var decision = rollback(state, firing: firing, now: now) {
                // An aborted canary with `onAbort: revert` gets its revert commit on the next pass.
                if let failed = decision.state.revertIntent(after: decision.events, onAbort: desired.models[model]?.deployment.rollout?.onAbort) {
                    reverts.append(.init(model: model, revision: failed))
                }
                changed.append(decision.state)
                events += decision.events.map { .init(model: model, event: $0, actor: "monitor") }
            } else {
                events.append(.init(model: model, event: RolloutEvent(
                    .rollbackSkipped,
                    "monitor \(firing.reading.monitor) fired on \(firing.reading.version) but there is nothing to roll back to: "
                        + "no rollout is running and no earlier stable spec is known"), actor: "monitor"))
            }
        }
        do {
            // Saved before they are published (the pass that applies a rollback acts only on
            // what the store holds), and in one transaction: a rollback without its events, or
            // readings without the cursor past their buckets, would be lost or counted twice.
            try store.saveMonitors(
                statuses: statuses, readings: readings, events: events, states: changed, reverts: reverts,
                settings: monitorCursor.map { ["monitorCursor": String($0)] } ?? [:], at: now)
            for state in changed { states[state.name] = state }
        } catch {
            (monitorWindows, monitorCursor, monitorStatuses) = before
            logger.error("monitors: saving failed: \(error)")
            return
        }
        for record in events { logger.info("\(record.model): \(record.event.kind): \(record.event.message)", metadata: ["model": "\(record.model)"]) }
        if !changed.isEmpty { trigger(.monitorRollback) }
    }

    /// The monitors judged on the data plane's sketches: the windows that closed since the
    /// last collection. When the data plane cannot be read, none (the next collection
    /// picks the buckets up, the cursor having stayed).
    private func sketchedMonitorReadings(_ desired: DesiredState) async -> [(model: String, monitor: Monitor, reading: MonitorReading)] {
        let sketched = desired.models.values.contains { $0.deployment.monitors.contains { $0.metric != .prometheus } }
        guard sketched else { return [] }
        let collected: MonitoringBatch
        do {
            collected = try await backend.monitoring(after: monitorCursor)
        } catch {
            logger.error("monitors: \(error)")
            return []
        }
        for bucket in collected.buckets {
            monitorCursor = max(monitorCursor ?? .min, bucket.start)
            guard let model = desired.models[bucket.model] else { continue }
            let lengths = Set(model.deployment.monitors.filter { $0.metric != .prometheus }.map { Self.seconds($0.window) })
            monitorWindows.add(bucket, lengths: lengths)
        }
        var judged: [(model: String, monitor: Monitor, reading: MonitorReading)] = []
        for window in monitorWindows.close(collectedUntil: collected.collectedUntil) {
            guard let model = desired.models[window.model] else { continue }
            for monitor in model.deployment.monitors where monitor.metric != .prometheus && Self.seconds(monitor.window) == window.seconds {
                let reference = await reference(for: monitor.reference, test: monitor.test)
                judged.append((window.model, monitor, MonitorEvaluator.evaluate(MonitorEvaluator.Question(monitor), window: window, reference: reference)))
            }
        }
        return judged
    }

    /// A monitor's rollback: abort the rollout when the firing version is the candidate's,
    /// else return to the previous stable spec when the firing version is the stable one.
    private func rollback(_ state: RolloutState, firing: MonitorFiring, now: Double) -> RolloutEngine.Decision? {
        let version = firing.reading.version
        let detail = "\(firing.reading.detail.prefix(300))"
        if let candidate = state.candidate, let stable = state.stable {
            let candidateNames = Set(candidate.target.versions.map { RolloutEngine.dataPlaneName(of: $0, stable: stable) })
            guard candidateNames.contains(version), !stable.versions.contains(where: { $0.name == version && candidateNames.contains($0.name) }) else {
                return nil
            }
        } else if state.stable?.versions.contains(where: { $0.name == version }) != true {
            return nil
        }
        return RolloutEngine.rollbackByMonitor(state, monitor: firing.reading.monitor, detail: detail, now: now)
    }

    /// The baseline a drift monitor names, read from git at the desired commit.
    func reference(for path: String?, test: DriftTest?) async -> MonitorEvaluator.Reference {
        guard let path else { return .none }
        guard let commit = desiredCommit else { return .unavailable("no commit has been read yet") }
        do {
            guard let blob = try await source.blob(at: commit, path: path) else {
                return .unavailable("baseline \(path) does not exist at \(commit.short)")
            }
            let key = "\(blob.hex)/\(test?.rawValue ?? "auto")"
            if let cached = baselines[key] { return cached }
            let bytes = try await source.artifactBytes(blob, limit: 256 << 20)
            let baseline = try DriftBaseline(bytes: bytes)
            var features: [String: FeatureData] = [:]
            for entry in baseline.entries { features[entry.name] = entry.data(for: test) }
            let reference = MonitorEvaluator.Reference.baseline(features)
            if baselines.count > 64 { baselines.removeAll() }
            baselines[key] = reference
            return reference
        } catch {
            return .unavailable("baseline \(path) at \(commit.short): \(error)")
        }
    }

    /// Retraining is requested only with an approval on record and a breach that holds
    /// beyond the estimate's error; otherwise the reason is recorded.
    func retrain(model: String, monitor: Monitor, firing: MonitorFiring, at now: Double) async -> [ControllerStore.EventRecord] {
        func event(_ kind: RolloutEvent.Kind, _ message: String) -> ControllerStore.EventRecord {
            .init(model: model, event: RolloutEvent(kind, message), actor: "monitor")
        }
        guard firing.reading.isCertainBreach else {
            return [event(.retrainWithheld, "monitor \(monitor.name): the breach is within the estimate's error (\(firing.reading.detail.prefix(200))); retraining is never requested on an estimate alone")]
        }
        let approval: ControllerStore.Approval?
        do {
            approval = try store.pendingApproval(model: model, monitor: monitor.name)
        } catch {
            return [event(.retrainFailed, "reading approvals failed: \(error)")]
        }
        guard let approval else {
            return [event(.retrainAwaitingApproval, "monitor \(monitor.name) asks for retraining; run `sluice approve \(model) --monitor \(monitor.name)` to send the request")]
        }
        guard let target = config.retrainWebhook else {
            return [event(.retrainFailed, "monitor \(monitor.name) is approved for retraining but controller.monitors.retrainWebhook is not set")]
        }
        var payload = Self.payload(firing, model: model, monitor: monitor, commit: desiredCommit?.hex)
        if case .object(var members) = payload {
            members[0] = ("kind", .string("sluice.retrain"))
            members.append(("approval", .object([("by", .string(approval.approvedBy)), ("at", .number(approval.approvedAt))])))
            // The request is sent before the approval is marked used, so a crash in between
            // sends it again after a restart: the same key lets a receiver drop the repeat.
            members.append(("idempotencyKey", .string("\(model)/\(monitor.name)/approval-\(approval.id)")))
            members.append(("reference", monitor.reference.map { .string($0) } ?? .null))
            let recent = (try? store.monitorReadings(of: model, limit: 50))?.filter { $0.monitor == monitor.name }.suffix(10) ?? []
            members.append(("evidence", .array(recent.map { $0.jsonValue() })))
            payload = .object(members)
        }
        if let failure = await webhooks.post(payload, to: target) {
            return [event(.retrainFailed, "monitor \(monitor.name): \(failure); the approval is kept for the next firing")]
        }
        try? store.useApproval(approval.id, for: "\(firing.reading.version) window \(firing.reading.windowStart)", at: now)
        return [event(.retrainRequested, "monitor \(monitor.name): retraining requested at \(target) (approved by \(approval.approvedBy))")]
    }

    /// Sends the alert for a firing or resolution; nil when sent or when no webhook is set.
    private func sendAlert(_ firing: MonitorFiring, model: String, monitor: Monitor) async -> String? {
        guard let target = config.alertWebhook else { return nil }
        return await webhooks.post(Self.payload(firing, model: model, monitor: monitor, commit: desiredCommit?.hex), to: target)
    }

    /// The JSON an alert receiver gets.
    static func payload(_ firing: MonitorFiring, model: String, monitor: Monitor, commit: String?) -> JSONValue {
        let reading = firing.reading
        func number(_ value: Double?) -> JSONValue { value.map { $0.isFinite ? .number($0) : .null } ?? .null }
        return .object([
            ("kind", .string("sluice.monitor")),
            ("status", .string(firing.kind.rawValue)),
            ("model", .string(model)),
            ("version", .string(reading.version)),
            ("monitor", .string(monitor.name)),
            ("metric", .string(monitor.metric.rawValue)),
            ("test", monitor.test.map { .string($0.rawValue) } ?? .null),
            ("severity", .string(firing.severity.rawValue)),
            ("action", .string(firing.action.rawValue)),
            ("value", number(reading.value)),
            ("threshold", number(reading.threshold)),
            ("criticalThreshold", number(reading.criticalThreshold)),
            ("comparator", .string(reading.comparator)),
            ("thresholds", .object([("max", number(monitor.thresholds.max)), ("min", number(monitor.thresholds.min))])),
            ("window", .object([
                ("start", .int(Int(reading.windowStart))), ("end", .int(Int(reading.windowEnd))),
                ("seconds", .int(Int(reading.windowEnd - reading.windowStart))),
            ])),
            ("consecutiveWindows", .int(firing.consecutiveWindows)),
            ("samples", .int(reading.samples)),
            ("estimated", .bool(reading.estimated)),
            ("errorBound", number(reading.errorBound)),
            ("detail", .string(reading.detail)),
            ("commit", commit.map { .string($0) } ?? .null),
        ])
    }

    static func event(for firing: MonitorFiring, monitor: Monitor) -> RolloutEvent {
        let reading = firing.reading
        let value = reading.value.map { MonitorEvaluator.format($0) } ?? "–"
        switch firing.kind {
        case .firing:
            return RolloutEvent(
                .monitorFiring,
                "\(monitor.name) \(firing.severity.rawValue) on \(reading.version): \(monitor.metric.rawValue) \(value) "
                    + "(\(reading.comparator) \(reading.threshold.map { MonitorEvaluator.format($0) } ?? "–")) for \(firing.consecutiveWindows) window(s); "
                    + "action \(firing.action.rawValue); \(reading.detail.prefix(300))")
        case .resolved:
            return RolloutEvent(.monitorResolved, "\(monitor.name) on \(reading.version) is back within thresholds: \(value)")
        }
    }

    static func seconds(_ duration: SluiceCore.Duration) -> Int { max(1, Int(duration.milliseconds / 1000)) }

    /// Records an approval of retraining and, when the monitor is already firing with a
    /// retrain action, sends the request at once.
    func approveRetraining(model: String, monitor name: String, by actor: String, at now: Double) async -> CommandOutcome {
        guard let deployment = desired?.models[model]?.deployment else {
            return .refused("model \(model) is not in the desired state")
        }
        guard let monitor = deployment.monitors.first(where: { $0.name == name }) else {
            let names = deployment.monitors.map(\.name)
            return .refused("model \(model) has no monitor \(name)" + (names.isEmpty ? "" : "; it has \(names.joined(separator: ", "))"))
        }
        guard monitor.action == .retrain || monitor.critical?.action == .retrain else {
            return .refused("monitor \(name) does not retrain (its action is \(monitor.action.rawValue)); nothing to approve")
        }
        do {
            _ = try store.approve(model: model, monitor: name, by: actor, at: now)
        } catch {
            return .refused("could not save the approval: \(error)")
        }
        var message = "retraining on \(name) approved"
        let firing = monitorStatuses[model]?.values.first { status in
            status.monitor == name && status.firing != nil && status.latest?.isBreach == true
        }
        if let status = firing, let reading = status.latest, let severity = status.firing {
            let action = severity == .critical ? (monitor.critical?.action ?? monitor.action) : monitor.action
            if action == .retrain {
                let events = await retrain(
                    model: model, monitor: monitor,
                    firing: MonitorFiring(kind: .firing, severity: severity, action: action, reading: reading, consecutiveWindows: status.breachStreak),
                    at: now)
                do {
                    try store.saveMonitors(statuses: [], readings: [], events: events, at: now)
                } catch {
                    logger.error("monitors: saving the retraining request failed: \(error)", metadata: ["model": "\(model)"])
                }
                message += "; " + (events.last?.event.message ?? "")
            }
        } else {
            message += "; the request is sent the next time the monitor fires"
        }
        return .done(message)
    }

    /// Monitor statuses of one model, for the API.
    public func monitors(of model: String) -> [MonitorStatus] {
        (monitorStatuses[model] ?? [:]).values.sorted { ($0.monitor, $0.version) < ($1.monitor, $1.version) }
    }
}
