import Foundation
import Logging
import SluiceConfig
import SluiceCore

extension Supervisor {
    /// Model-server processes running now (every replica with a process, also those
    /// finishing their requests).
    var runningProcesses: Int { instances.count(where: { $0.pid != nil }) }

    /// The process count against the cap, for the observed state.
    var processCount: ObservedState.ProcessCount {
        ObservedState.ProcessCount(
            running: runningProcesses, maximum: config.maxProcesses,
            withheld: scales.values.reduce(0) { $0 + max(0, $1.want - $1.granted) })
    }

    /// The process-run versions of the spec in its order (endpoints are not processes).
    private var processVersions: [(model: ModelRuntime, version: VersionRuntime)] {
        spec.models.flatMap { model in model.versions.filter { $0.endpoint == nil }.map { (model, $0) } }
    }

    /// Brings the per-version scale records in line with the spec: new versions start at
    /// their `minReplicas`, changed bounds apply at once, gone versions are forgotten;
    /// then the cap is shared.
    func updateScales() {
        var seen: Set<VersionName> = []
        for (model, version) in processVersions {
            let name = VersionName(model: model.name, version: version.name)
            seen.insert(name)
            let scale = scales[name] ?? VersionScale(name: name, scaling: version.scaling)
            if scales[name] == nil {
                scales[name] = scale
            } else {
                scale.update(version.scaling)
            }
            scale.weighted = (model.route.weights[version.name] ?? 0) > 0
        }
        scales = scales.filter { seen.contains($0.key) }
        share()
    }

    /// One autoscaler sample per version (the supervision tick): requests in flight over
    /// its replicas (mirrored copies included, they take capacity too), and requests
    /// completed since the last tick; then the cap is shared again.
    func autoscale(now: ContinuousClock.Instant) {
        var inFlight: [VersionName: Int] = [:]
        for instance in instances {
            guard let target = instance.target else { continue }
            let completed = target.completed
            let name = instance.versionName
            if let scale = scales[name] { scale.completed += max(0, completed - instance.countedCompleted) }
            instance.countedCompleted = completed
            inFlight[name, default: 0] += target.inFlight
        }
        for (name, scale) in scales { scale.autoscale(inFlight: inFlight[name] ?? 0, at: now) }
        share()
    }

    /// Shares `serve.maxProcesses` among the versions' wants (``ProcessCap``), records a
    /// scale event for each version whose count changes, and logs once when the cap starts
    /// (and stops) holding versions back.
    private func share() {
        let versions = processVersions.compactMap { scales[VersionName(model: $0.model.name, version: $0.version.name)] }
        let wants = versions.map { ProcessCap.Want(replicas: $0.want, minReplicas: $0.minReplicas, weighted: $0.weighted) }
        let granted = ProcessCap.share(wants, cap: config.maxProcesses)
        for (scale, count) in zip(versions, granted) {
            let before = scale.granted
            let reason = scale.pendingReason ?? .cap
            scale.granted = count
            scale.pendingReason = nil
            // A version's first grant is its start, not a change.
            guard scale.started else {
                scale.started = true
                continue
            }
            if before != count { recordScaleEvent(scale, from: before, to: count, reason: reason) }
        }
        let withheld = versions.filter { $0.granted < $0.want }
        if !withheld.isEmpty, !capBites {
            capBites = true
            let wanted = versions.reduce(0) { $0 + $1.want }
            let list = withheld.map { "\($0.name) \($0.want) → \($0.granted)" }.joined(separator: ", ")
            log.warning("serve.maxProcesses (\(config.maxProcesses)) reached: versions want \(wanted) processes; held back: \(list)")
        } else if withheld.isEmpty, capBites {
            capBites = false
            log.info("serve.maxProcesses (\(config.maxProcesses)) no longer holds any version back")
        }
    }

    private func recordScaleEvent(_ scale: VersionScale, from: Int, to: Int, reason: ScaleReason) {
        let perReplica = scale.load.map { Self.rounded($0 / Double(max(from, 1))) }
        let why: String
        switch reason {
        case .load, .idle:
            let unit = scale.scaling?.target.metric == .rps ? "requests/s" : "in flight"
            let target = scale.scaling.map { ReplicaAutoscaler.describe($0.target.value) } ?? "?"
            let delay = reason == .idle ? "; low for \(scale.scaling?.scaleDownDelay.description ?? "")" : ""
            why = "\(perReplica.map(ReplicaAutoscaler.describe) ?? "0") \(unit) per replica, target \(target)\(delay)"
        case .bounds:
            why = "bounds now \(scale.minReplicas)–\(scale.maxReplicas)"
        default:
            why = to < from || to < scale.want
                ? "serve.maxProcesses (\(config.maxProcesses)) reached" : "a process slot freed under serve.maxProcesses (\(config.maxProcesses))"
        }
        if to > from { scale.scaledUp += 1 } else { scale.scaledDown += 1 }
        let event = ScaleEvent(
            sequence: nextScaleSequence, at: ISO8601DateFormatter().string(from: Date()), model: scale.name.model, version: scale.name.version,
            from: from, to: to, reason: reason, load: reason == .load || reason == .idle ? perReplica : nil,
            message: "\(scale.name.version): \(from) → \(to) replicas (\(why))")
        nextScaleSequence += 1
        scaleEvents.append(event)
        if scaleEvents.count > Self.scaleEventLimit { scaleEvents.removeFirst(scaleEvents.count - Self.scaleEventLimit) }
        log.info("\(scale.name.model)/\(event.message)", metadata: ["model": "\(scale.name.model)", "version": "\(scale.name.version)"])
    }

    /// Makes each version run as many replicas as granted: adds the missing ones (taking
    /// back a draining replica of the same artifact first), and drains the extra ones,
    /// not-ready and highest index first. An endpoint is one upstream, never scaled.
    func reconcileReplicas(now: ContinuousClock.Instant) {
        for model in spec.models {
            for version in model.versions {
                let key = InstanceKey(model: model.name, version: version)
                let count = version.endpoint != nil ? 1 : scales[VersionName(model: model.name, version: version.name)]?.granted ?? 0
                var current = instances.filter { $0.key == key && $0.desired }
                if current.count < count {
                    let revivable = instances.filter { $0.key == key && !$0.desired && $0.phase != .stopping }.sorted { $0.replica < $1.replica }
                    for instance in revivable.prefix(count - current.count) {
                        instance.desired = true
                        instance.drainDeadline = nil
                        current.append(instance)
                        routesDirty = true
                    }
                    var used = Set(instances.filter { $0.key == key }.map(\.replica))
                    var next = 0
                    while current.count < count {
                        while used.contains(next) { next += 1 }
                        let instance = makeInstance(model: model.name, version: version, replica: next)
                        used.insert(next)
                        instances.append(instance)
                        current.append(instance)
                    }
                } else if current.count > count {
                    let extra = current.sorted { ($0.rank, $0.replica) > ($1.rank, $1.replica) }.prefix(current.count - count)
                    for instance in extra { drain(instance, now: now, because: "scaled down") }
                }
            }
        }
    }

    /// Publishes the replica counts for `/metrics` when they changed.
    func publishGauges() {
        var gauges = ReplicaGauges(processes: runningProcesses, maximum: config.maxProcesses)
        for (model, version) in processVersions {
            guard let scale = scales[VersionName(model: model.name, version: version.name)] else { continue }
            let key = InstanceKey(model: model.name, version: version)
            gauges.rows.append(ReplicaGauges.Row(
                model: model.name, version: version.name, desired: scale.granted,
                ready: instances.count(where: { $0.key == key && $0.desired && $0.isReady }),
                scaledUp: scale.scaledUp, scaledDown: scale.scaledDown))
        }
        if gauges != self.gauges.current { self.gauges.publish(gauges) }
    }
}

extension ReplicaAutoscaler {
    /// A load or target for a sentence: at most one decimal (`9.6`, `4`).
    static func describe(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        return tenths == tenths.rounded() ? String(Int(tenths)) : String(tenths)
    }
}
