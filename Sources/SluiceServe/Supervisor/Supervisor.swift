import CSluiceSpawn
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SluiceConfig
import SluiceCore

/// Runs the versions of a runtime spec: allocates ports, starts processes, waits for
/// readiness before publishing a route, restarts crashed processes with backoff, drains
/// and stops removed versions, and reports what it observes.
actor Supervisor {
    let config: ServeConfig
    private let client: UpstreamClient
    private let eventLoop: any EventLoop
    private let routes: RoutingTableBox
    let log: Logger
    var spec = RuntimeSpec(models: [])
    private var appliedAt: Date?
    var instances: [ManagedInstance] = []
    private var ports: PortAllocator
    var routesDirty = true
    /// Each process-run version's replica count, by name.
    var scales: [VersionName: VersionScale] = [:]
    /// The latest replica-count changes, oldest first (at most ``scaleEventLimit``).
    var scaleEvents: [ScaleEvent] = []
    var nextScaleSequence = 1
    /// Whether the process cap holds a version below its want (logged once per episode).
    var capBites = false
    /// Identifies this run in the observed state (scale event sequences restart with it).
    let runID = UUID().uuidString.lowercased()
    /// Replica counts for `/metrics`.
    nonisolated let gauges = ReplicaGaugesBox()
    private let containment: Containment
    /// The time the supervisor acts on: deadlines, backoff, probe intervals (a test moves it by hand).
    let clock: @Sendable () -> ContinuousClock.Instant
    /// Artifacts whose pinned digest was checked, by path.
    private var verifiedArtifacts: [String: VerifiedArtifact] = [:]

    /// A file whose content matched a digest while it had this identity.
    private struct VerifiedArtifact: Equatable {
        var identity: ArtifactDigestCheck.Identity
        var digest: String
    }

    /// How often processes are checked and starting ones probed.
    static let tick: Swift.Duration = .milliseconds(100)
    /// How often ready processes are probed.
    static let readyProbeInterval: Swift.Duration = .seconds(1)
    /// Failed probes after which a ready version loses its traffic.
    static let unreadyAfterFailures = 2
    /// A version ready this long has its failure count reset.
    static let stableAfter: Swift.Duration = .seconds(30)
    /// How long a version that found no free port waits before it looks again.
    static let portRetry: Swift.Duration = .seconds(5)
    /// Scale events kept for the observed state.
    static let scaleEventLimit = 64

    /// - Parameters:
    ///   - clock: the time deadlines and backoff are measured in (the continuous clock, unless a test sets it).
    ///   - cgroups: false contains model servers by process group only (for tests).
    init(
        config: ServeConfig, client: UpstreamClient, eventLoop: any EventLoop, routes: RoutingTableBox, log: Logger,
        clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }, cgroups: Bool = true
    ) {
        self.config = config
        self.client = client
        self.eventLoop = eventLoop
        self.routes = routes
        self.log = log
        self.clock = clock
        ports = PortAllocator(range: config.ports)
        containment = Containment(stateDirectory: config.stateDirectory, log: log, cgroups: cgroups)
    }

    /// Prepares containment before the first start: becomes the subreaper of model
    /// servers' helpers and stops what a killed previous run left behind.
    func beginContainment() {
        containment.begin()
        log.info("\(containment.summary)")
    }

    /// Makes `newSpec` the desired state: starts what is missing, marks what is gone for
    /// draining, takes new scaling bounds (running replicas are never restarted for them),
    /// and publishes the new route table at once (with the replicas already ready), so
    /// weights change atomically.
    func apply(_ newSpec: RuntimeSpec) {
        spec = newSpec
        appliedAt = Date()
        let now = clock()
        var wanted: Set<InstanceKey> = []
        for model in newSpec.models {
            for version in model.versions { wanted.insert(InstanceKey(model: model.name, version: version)) }
        }
        for instance in instances where instance.desired && !wanted.contains(instance.key) {
            drain(instance, now: now, because: "removed from the spec")
        }
        updateScales()
        reconcileReplicas(now: now)
        routesDirty = true
        publishRoutes()
        publishGauges()
    }

    /// Takes `instance` out of the routes: it finishes its requests (up to the drain
    /// timeout) and is stopped.
    func drain(_ instance: ManagedInstance, now: ContinuousClock.Instant, because reason: String) {
        instance.desired = false
        instance.awaitingSlot = false
        instance.drainDeadline = now + .milliseconds(config.drainTimeout.milliseconds)
        routesDirty = true
        log.info("\(instance.name): \(reason); draining", metadata: instance.metadata)
    }

    /// The observed state: per model its configured and effective weights, per version its
    /// replicas, and the latest scale events and process count.
    func observed() -> ObservedState {
        let table = routes.current
        let models = spec.models.map { model -> ObservedModel in
            let routesOfModel = table.models[model.name]
            let effective = routesOfModel?.picker.effectiveWeights(isReady: { routesOfModel?.isReady($0) ?? false }) ?? [:]
            let versions = model.versions.map { version -> ObservedVersion in
                let key = InstanceKey(model: model.name, version: version)
                let replicas = instances.filter { $0.key == key && $0.desired }.sorted { $0.replica < $1.replica }
                return describe(
                    version: version.name, replicas: replicas, scale: scales[VersionName(model: model.name, version: version.name)],
                    serving: routesOfModel?.ready[version.name] != nil)
            }
            let retiring = instances.filter { $0.key.model == model.name && !$0.desired }.map {
                describe(version: $0.key.version, replicas: [$0], scale: nil, serving: false)
            }
            return ObservedModel(
                name: model.name,
                ready: effective.values.contains { $0 > 0 },
                weights: Dictionary(model.versions.map { ($0.name, model.route.weights[$0.name] ?? 0) }, uniquingKeysWith: { first, _ in first }),
                effectiveWeights: Dictionary(
                    model.versions.map { ($0.name, ((effective[$0.name] ?? 0) * 100).rounded() / 100) }, uniquingKeysWith: { first, _ in first }),
                versions: versions,
                retiring: retiring.isEmpty ? nil : retiring)
        }
        return ObservedState(
            revision: spec.revision, appliedAt: appliedAt.map { ISO8601DateFormatter().string(from: $0) }, models: models,
            instance: runID, scaleEvents: scaleEvents, processes: processCount)
    }

    /// A version from its replicas: the single-replica fields describe the best one (ready
    /// before starting before failed), `restarts` and `inFlight` are sums; `replicas` lists
    /// each (absent for an endpoint and for a retiring process).
    private func describe(version: String, replicas: [ManagedInstance], scale: VersionScale?, serving: Bool) -> ObservedVersion {
        let best = replicas.min { ($0.rank, $0.replica) < ($1.rank, $1.replica) }
        var observed: ObservedVersion
        if let best {
            observed = ObservedVersion(
                name: version,
                runtime: best.key.runtime,
                endpoint: best.key.endpoint,
                state: VersionPhase(rawValue: best.phase.rawValue),
                ready: best.isReady,
                serving: serving,
                pid: best.pid.map { Int($0) },
                port: best.target?.address.port ?? best.port,
                restarts: replicas.reduce(0) { $0 + $1.restarts },
                inFlight: replicas.contains { $0.target != nil } ? replicas.reduce(0) { $0 + ($1.target?.inFlight ?? 0) } : nil,
                lastExit: best.lastExit,
                message: best.message)
        } else {
            observed = ObservedVersion(name: version, state: .missing)
            if let scale, scale.granted == 0, scale.want > 0 {
                observed.message = "not started: serve.maxProcesses (\(config.maxProcesses)) is reached"
            }
        }
        if let scale {
            observed.replicas = ObservedReplicas(
                desired: scale.granted,
                ready: replicas.filter(\.isReady).count,
                minReplicas: scale.minReplicas,
                maxReplicas: scale.maxReplicas,
                load: scale.load.map { Self.rounded($0 / Double(max(scale.granted, 1))) },
                target: scale.scaling?.target.value,
                metric: scale.scaling?.target.metric,
                limitedBy: scale.limitedBy,
                processes: replicas.map {
                    ObservedReplica(
                        index: $0.replica, state: VersionPhase(rawValue: $0.phase.rawValue), ready: $0.isReady, pid: $0.pid.map { Int($0) },
                        port: $0.target?.address.port ?? $0.port, restarts: $0.restarts, inFlight: $0.target?.inFlight,
                        lastExit: $0.lastExit, message: $0.message)
                })
        }
        return observed
    }

    /// Two decimals, for reported load.
    static func rounded(_ value: Double) -> Double { (value * 100).rounded() / 100 }

    /// Runs the supervision loop until the task is cancelled.
    func run() async {
        while !Task.isCancelled {
            await step()
            try? await Task.sleep(for: Self.tick)
        }
    }

    /// One supervision pass: reap exits, start due processes, probe, drain, publish.
    func step() async {
        let now = clock()
        reap(now: now)
        autoscale(now: now)
        reconcileReplicas(now: now)
        var running = runningProcesses
        for instance in instances where instance.desired && instance.pid == nil && instance.phase != .failed {
            if instance.key.endpoint != nil {
                if instance.target == nil { attachEndpoint(instance) }
            } else if instance.nextStart.map({ $0 <= now }) ?? true {
                // The cap holds over every process, including replicas still finishing their
                // requests; this one starts once one of them has stopped.
                guard running < config.maxProcesses else {
                    if !instance.awaitingSlot {
                        instance.awaitingSlot = true
                        // Replicas of a replaced artifact stop handing over to it (handsOver).
                        routesDirty = true
                        instance.message = "waiting for a process slot: serve.maxProcesses (\(config.maxProcesses)) processes run, some still finishing their requests"
                    }
                    continue
                }
                if instance.awaitingSlot {
                    instance.awaitingSlot = false
                    instance.message = nil
                }
                await start(instance)
                if instance.pid != nil { running += 1 }
            }
        }
        await probe(now: now)
        retire(now: now)
        publishRoutes()
        publishGauges()
    }

    /// Stops every process: SIGTERM to each process group, then SIGKILL after the stop
    /// timeout. Used when `sluice serve` shuts down.
    func shutdown() async {
        for instance in instances { instance.desired = false }
        for instance in instances {
            if let pid = instance.pid { containment.signal(pid: pid, cgroup: instance.cgroup, SIGTERM) }
        }
        let deadline = ContinuousClock.now + .milliseconds(config.stopTimeout.milliseconds)
        while instances.contains(where: { $0.pid != nil }) && ContinuousClock.now < deadline {
            reap(now: clock())
            try? await Task.sleep(for: .milliseconds(50))
        }
        for instance in instances {
            if let pid = instance.pid {
                containment.signal(pid: pid, cgroup: instance.cgroup, SIGKILL)
                // Waits without reaping, so the group is killed while its id is still reserved.
                _ = sluice_peek_exited(pid, 0)
                containment.ended(pid: pid, cgroup: instance.cgroup)
                var status: Int32 = 0
                _ = sluice_try_wait(pid, &status)
                instance.pid = nil
            }
        }
        containment.finish()
        routes.publish(.empty)
    }

    /// Sends `signal` to the model server `pid` (with its group and cgroup) if it is one of
    /// this supervisor's and not yet reaped; returns whether it was. Only the reaper may signal
    /// a child: once reaped, its pid may be another process's (tests use this to kill one).
    @discardableResult
    func signalModelServer(pid: Int32, _ signal: Int32) -> Bool {
        guard pid > 0, let instance = instances.first(where: { $0.pid == pid }) else { return false }
        containment.signal(pid: pid, cgroup: instance.cgroup, signal)
        return true
    }

    // MARK: - starting

    func makeInstance(model: String, version: VersionRuntime, replica: Int) -> ManagedInstance {
        let key = InstanceKey(model: model, version: version)
        if version.endpoint != nil {
            return ManagedInstance(key: key, definition: nil, artifactPath: nil)
        }
        guard let runtimeName = version.runtime, let definition = config.runtimes[runtimeName] else {
            let instance = ManagedInstance(key: key, replica: replica, definition: nil, artifactPath: nil)
            instance.phase = .failed
            instance.message = "runtime '\(version.runtime ?? "")' is not defined in the data plane's config"
            return instance
        }
        let instance = ManagedInstance(
            key: key,
            replica: replica,
            definition: definition,
            artifactPath: version.artifact.map { ArtifactPath.resolve($0, root: config.artifactRoot) }
        )
        if let artifact = version.artifact, case .failure(let problem) = ArtifactPath.check(artifact, root: config.artifactRoot) {
            instance.phase = .failed
            instance.message = problem.message
        } else if let problem = templateProblem(instance) {
            // Checked before anything runs: the command may go through a shell.
            instance.phase = .failed
            instance.message = problem + "; the version is not started"
        }
        return instance
    }

    /// Why the instance's artifact does not match its pinned digest, or nil. The file is
    /// hashed off the actor; one that was checked and has not changed since is not hashed again.
    private func digestProblem(_ instance: ManagedInstance) async -> String? {
        guard let pinned = instance.key.digest, let path = instance.artifactPath else { return nil }
        let identity = ArtifactDigestCheck.identity(of: path)
        if let identity, verifiedArtifacts[path] == VerifiedArtifact(identity: identity, digest: pinned) { return nil }
        let problem = await Task.detached { ArtifactDigestCheck.problem(path: path, pinned: pinned) }.value
        if problem == nil, let identity { verifiedArtifacts[path] = VerifiedArtifact(identity: identity, digest: pinned) }
        return problem
    }

    /// The values filled into a runtime's command, environment and readiness path (the
    /// port is added when one is allocated).
    private func templateValues(_ instance: ManagedInstance) -> [CommandTemplate.Placeholder: String] {
        [.artifact: instance.artifactPath ?? "", .model: instance.key.model, .version: instance.key.version]
    }

    /// Why a value cannot be filled into this instance's command, or nil.
    private func templateProblem(_ instance: ManagedInstance) -> String? {
        templateValues(instance).sorted { $0.key.rawValue < $1.key.rawValue }.lazy.compactMap { CommandTemplate.problem($0.key, $0.value) }.first
    }

    private func attachEndpoint(_ instance: ManagedInstance) {
        guard let endpoint = instance.key.endpoint, let address = UpstreamAddress(url: endpoint) else { return }
        instance.target = UpstreamTarget(model: instance.key.model, version: instance.key.version, address: address)
        instance.countedCompleted = 0
        instance.startedAt = clock()
        instance.phase = .starting
    }

    private func start(_ instance: ManagedInstance) async {
        guard let definition = instance.definition else { return }
        if let problem = await digestProblem(instance) {
            instance.phase = .failed
            instance.message = problem
            log.error("\(instance.name): \(problem)", metadata: instance.metadata)
            return
        }
        // The spec may have changed while the artifact was hashed.
        guard instance.desired, instance.pid == nil else { return }
        guard let port = ports.allocate() else {
            waitForPort(instance, what: "port")
            return
        }
        var grpcPort: Int?
        if definition.servesGRPC {
            guard let second = ports.allocate() else {
                ports.release(port)
                waitForPort(instance, what: "second port (for {grpcPort})")
                return
            }
            grpcPort = second
        }
        var values = templateValues(instance)
        values[.port] = String(port)
        if let grpcPort { values[.grpcPort] = String(grpcPort) }
        func fill(_ text: String) -> String {
            CommandTemplate.fill(text, with: values)
        }
        let environment = ChildEnvironment.modelServer(
            inheriting: ProcessInfo.processInfo.environment,
            runtime: definition.environment.mapValues(fill),
            model: instance.key.model,
            version: instance.key.version,
            port: port,
            grpcPort: grpcPort
        )
        let logDirectory = "\(config.stateDirectory)/logs"
        try? PrivateFiles.directory(logDirectory)
        var request = SpawnRequest(
            command: definition.command.map(fill),
            environment: environment,
            workingDirectory: definition.workingDirectory,
            logPath: "\(logDirectory)/\(instance.logFileName)",
            cgroup: nil
        )
        do {
            let (pid, cgroup) = try await spawnContained(&request)
            instance.pid = pid
            instance.cgroup = cgroup
            instance.port = port
            instance.grpcPort = grpcPort
            instance.phase = .starting
            instance.startedAt = clock()
            instance.lastProbe = nil
            instance.probeFailures = 0
            instance.target = nil
            log.info("\(instance.name): started pid \(pid) on port \(port)", metadata: instance.metadata)
        } catch {
            ports.release(port)
            if let grpcPort { ports.release(grpcPort) }
            instance.phase = .failed
            instance.message = error.description
            log.error("\(instance.name): \(error.description)", metadata: instance.metadata)
        }
    }

    /// Every port of `serve.ports` is in use: the instance waits and looks again.
    private func waitForPort(_ instance: ManagedInstance, what: String) {
        let message = "no free \(what) in \(config.ports.lowerBound)-\(config.ports.upperBound) (serve.ports): every port is in use; "
            + "trying again every \(Self.portRetry)"
        // Logged once per episode, not on every retry.
        if instance.message != message { log.error("\(instance.name): \(message)", metadata: instance.metadata) }
        instance.phase = .backoff
        instance.message = message
        instance.nextStart = clock() + Self.portRetry
    }

    /// Starts `request` in a fresh cgroup when cgroups are usable; a cgroup that cannot
    /// be joined turns cgroups off and the start is tried again without.
    private func spawnContained(_ request: inout SpawnRequest) async throws(SpawnError) -> (Int32, Cgroup?) {
        let cgroup = containment.makeCgroup()
        request.cgroup = cgroup?.path
        do {
            let pid = try await ProcessSpawner.shared.spawn(request)
            containment.started(pid: pid, cgroup: cgroup)
            return (pid, cgroup)
        } catch {
            guard error.step == .cgroup, let cgroup else {
                cgroup?.remove()
                throw error
            }
            containment.disableCgroups(cgroup, because: error.description)
            request.cgroup = nil
            let pid = try await ProcessSpawner.shared.spawn(request)
            containment.started(pid: pid, cgroup: nil)
            return (pid, nil)
        }
    }

    // MARK: - watching

    /// Collects every exited child: model servers, and helpers they orphaned (this process
    /// is their subreaper), which are only reaped so they leave no zombies.
    ///
    /// The supervisor is the only one that signals its model servers, and only while their
    /// `pid` is set; it clears `pid` when it reaps them, because from then on the pid (and a
    /// group id equal to it) may belong to another process.
    private func reap(now: ContinuousClock.Instant) {
        containment.tidy()
        var status: Int32 = 0
        for instance in instances {
            if let pid = instance.pid, sluice_peek_exited(pid, 1) == pid { exited(instance, now: now) }
        }
        // Helpers that model servers orphaned are reparented here only when this process is
        // their subreaper; they are reaped so they leave no zombies. Otherwise (in a test
        // process) waiting for any child would take other children's exit statuses.
        if containment.isSubreaper {
            while case let pid = sluice_peek_exited(-1, 1), pid > 0 {
                if let instance = instances.first(where: { $0.pid == pid }) {
                    exited(instance, now: now)
                } else {
                    _ = sluice_try_wait(pid, &status)
                }
            }
        }
        instances.removeAll { !$0.desired && $0.pid == nil && $0.target == nil }
    }

    /// The model server exited and is not reaped yet: its zombie still reserves its pid and
    /// group id, so what it left in its group is killed first, then it is reaped.
    private func exited(_ instance: ManagedInstance, now: ContinuousClock.Instant) {
        guard let pid = instance.pid else { return }
        containment.ended(pid: pid, cgroup: instance.cgroup)
        var status: Int32 = 0
        _ = sluice_try_wait(pid, &status)
        let exit = sluice_exited(status) != 0
            ? "exit code \(sluice_exit_code(status))"
            : "killed by signal \(sluice_term_signal(status))"
        instance.pid = nil
        instance.lastExit = exit
        releaseTarget(instance)
        if instance.desired {
            failed(instance, because: instance.killReason ?? "process ended (\(exit))", now: now)
            instance.killReason = nil
        } else {
            instance.phase = .stopping
            log.info("\(instance.name): stopped (\(exit))", metadata: instance.metadata)
        }
    }

    private func failed(_ instance: ManagedInstance, because reason: String, now: ContinuousClock.Instant) {
        instance.consecutiveFailures += 1
        instance.restarts += 1
        instance.readySince = nil
        instance.message = reason
        instance.nextStart = now + ManagedInstance.backoff(after: instance.consecutiveFailures)
        instance.phase = instance.consecutiveFailures >= ManagedInstance.crashLoopThreshold ? .crashLoop : .backoff
        routesDirty = true
        log.error("\(instance.name): \(reason); restart \(instance.restarts) in \(ManagedInstance.backoff(after: instance.consecutiveFailures))", metadata: instance.metadata)
    }

    private func releaseTarget(_ instance: ManagedInstance) {
        if let target = instance.target {
            client.forget(target.address)
            instance.target = nil
            routesDirty = true
        }
        if let port = instance.port {
            ports.release(port)
            instance.port = nil
        }
        if let port = instance.grpcPort {
            ports.release(port)
            instance.grpcPort = nil
        }
    }

    private func probe(now: ContinuousClock.Instant) async {
        var due: [(ManagedInstance, UpstreamAddress, String)] = []
        for instance in instances where instance.pid != nil || instance.key.endpoint != nil {
            guard instance.phase != .stopping, instance.phase != .failed else { continue }
            let address: UpstreamAddress
            if let target = instance.target {
                address = target.address
            } else if let port = instance.port {
                address = UpstreamAddress(host: "127.0.0.1", port: port)
            } else {
                continue
            }
            let interval = instance.phase == .ready || instance.phase == .unready ? Self.readyProbeInterval : Self.tick
            if let last = instance.lastProbe, now - last < interval { continue }
            if instance.phase == .starting, let started = instance.startedAt, let definition = instance.definition,
               now - started > .milliseconds(definition.startTimeout.milliseconds) {
                if let pid = instance.pid { containment.signal(pid: pid, cgroup: instance.cgroup, SIGKILL) }
                instance.killReason = "not ready within \(definition.startTimeout)"
                continue
            }
            instance.lastProbe = now
            due.append((instance, address, readinessPath(for: instance)))
        }
        guard !due.isEmpty else { return }
        let client = self.client
        let eventLoop = self.eventLoop
        let results = await withTaskGroup(of: (Int, Bool, String?).self) { group in
            for (index, (_, address, path)) in due.enumerated() {
                group.addTask {
                    var headers = HTTPHeaders()
                    headers.add(name: "host", value: "\(address.host):\(address.port)")
                    let request = UpstreamRequest(method: .GET, uri: path, headers: headers, body: nil)
                    do {
                        let response = try await client.send(request, to: address, on: eventLoop, timeout: .seconds(1)).get()
                        let ok = response.status == .ok
                        return (index, ok, ok ? nil : "readiness \(path) answered \(response.status.code)")
                    } catch {
                        return (index, false, "readiness \(path): \(error)")
                    }
                }
            }
            var collected: [(Int, Bool, String?)] = []
            for await result in group { collected.append(result) }
            return collected
        }
        for (index, ok, problem) in results {
            let instance = due[index].0
            let address = due[index].1
            if ok {
                instance.probeFailures = 0
                if instance.phase != .ready {
                    instance.phase = .ready
                    instance.readySince = now
                    instance.message = nil
                    if instance.target == nil || instance.target?.address != address {
                        instance.target = UpstreamTarget(
                            model: instance.key.model, version: instance.key.version, address: address,
                            grpcAddress: instance.grpcPort.map { UpstreamAddress(host: "127.0.0.1", port: $0) })
                        instance.countedCompleted = 0
                    }
                    routesDirty = true
                    log.info("\(instance.name): ready on \(address)", metadata: instance.metadata)
                } else if let since = instance.readySince, now - since > Self.stableAfter {
                    instance.consecutiveFailures = 0
                }
            } else {
                instance.probeFailures += 1
                if instance.phase == .ready, instance.probeFailures >= Self.unreadyAfterFailures {
                    instance.phase = .unready
                    instance.message = problem
                    routesDirty = true
                    log.error("\(instance.name): unready: \(problem ?? "")", metadata: instance.metadata)
                }
            }
        }
    }

    private func readinessPath(for instance: ManagedInstance) -> String {
        let template = instance.definition?.readinessPath ?? "/v2/health/ready"
        return CommandTemplate.fill(template, with: [.model: instance.key.model, .version: instance.key.version])
    }

    /// The gateway saw a connection to this target fail: probe it on the next tick.
    func suspect(_ target: UpstreamTarget) {
        for instance in instances where instance.target === target {
            instance.lastProbe = nil
        }
    }

    // MARK: - stopping

    private func retire(now: ContinuousClock.Instant) {
        for instance in instances where !instance.desired {
            if instance.key.endpoint != nil || instance.pid == nil {
                if instance.target != nil, (instance.target?.inFlight ?? 0) == 0 || instance.drainDeadline.map({ now >= $0 }) ?? true {
                    releaseTarget(instance)
                }
                continue
            }
            if instance.phase == .stopping {
                if let deadline = instance.killDeadline, now >= deadline, let pid = instance.pid {
                    containment.signal(pid: pid, cgroup: instance.cgroup, SIGKILL)
                    instance.killDeadline = nil
                    log.error("\(instance.name): did not stop within \(config.stopTimeout); killed", metadata: instance.metadata)
                }
                continue
            }
            if handsOver(instance) { continue }
            let drained = (instance.target?.inFlight ?? 0) == 0
            let expired = instance.drainDeadline.map { now >= $0 } ?? true
            guard drained || expired, let pid = instance.pid else { continue }
            instance.phase = .stopping
            instance.target = nil
            routesDirty = true
            instance.killDeadline = now + .milliseconds(config.stopTimeout.milliseconds)
            containment.signal(pid: pid, cgroup: instance.cgroup, SIGTERM)
            log.info("\(instance.name): stopping pid \(pid)\(drained ? "" : " (drain timeout; requests still in flight)")", metadata: instance.metadata)
        }
    }

    /// A replica of a replaced version (same model and version, new artifact or runtime)
    /// keeps serving while any of its successors is on its way to ready; a successor held
    /// back by the process cap does not count, so that the old replicas free its slot.
    /// A replica removed by scaling down never hands over: it drains at once.
    func handsOver(_ instance: ManagedInstance) -> Bool {
        guard instance.isReady else { return false }
        return instances.contains {
            $0.desired && $0.key.model == instance.key.model && $0.key.version == instance.key.version && $0.key != instance.key
                && !$0.isReady && $0.phase != .failed && !$0.awaitingSlot
        }
    }

    // MARK: - publishing

    /// The route table in force.
    var routeTable: RoutingTable { routes.current }

    func publishRoutes() {
        guard routesDirty else { return }
        routesDirty = false
        var models: [String: ModelRoutes] = [:]
        for model in spec.models {
            var ready: [String: ReplicaSet] = [:]
            for version in model.versions {
                let key = InstanceKey(model: model.name, version: version)
                // The version's ready replicas, and those of a replaced artifact still handing
                // over, so its capacity does not dip while the new replicas start.
                let targets = instances.filter {
                    $0.key.model == model.name && $0.key.version == version.name && $0.isReady
                        && ($0.desired ? $0.key == key : handsOver($0))
                }.sorted { ($0.desired ? 0 : 1, $0.replica) < ($1.desired ? 0 : 1, $1.replica) }.compactMap(\.target)
                if !targets.isEmpty { ready[version.name] = ReplicaSet(targets) }
            }
            models[model.name] = ModelRoutes(spec: model, picker: VersionPicker(model: model), ready: ready)
        }
        routes.publish(RoutingTable(revision: spec.revision, models: models))
    }
}
