import Foundation
import Logging
import SluiceCore
import SluiceGit
import SluiceServe
import SluiceStore

extension Controller {
    /// One reconcile pass, in small ordered steps: read git, observe the data plane, decide
    /// per model, apply the complete spec, save everything in one transaction.
    func pass(reason: String) async {
        await acquireState()
        defer { releaseState() }
        let started = ContinuousClock.now
        defer { metrics.observePass(ContinuousClock.now - started) }
        let now = Date().timeIntervalSince1970
        do {
            let head = try await resolveHead(fetch: reason == "interval" || reason == "start" || reason == "retry" || reason.hasPrefix("webhook"))
            if head != desiredCommit { try await readDesired(at: head) }
        } catch {
            lastPassError = "reading git failed: \(error)"
            logger.error("pass (\(reason)): \(lastPassError ?? "")", metadata: ["trigger": "\(reason)"])
            if desired == nil { return }
        }
        guard let desired, let commit = desiredCommit else { return }
        let observed: [String: Set<String>]
        do {
            observed = try await readyVersions()
        } catch {
            lastPassError = "\(error)"
            logger.error("pass (\(reason)): \(error)", metadata: ["trigger": "\(reason)"])
            return
        }
        // Decisions are made on a copy and published only once saved, so the API never shows
        // a state whose events are not in the store yet.
        var next = states
        var events: [ControllerStore.EventRecord] = []
        var measurements: [(model: String, revision: String?, run: AnalysisRun)] = []
        var changed: [String: RolloutState] = [:]
        var removed: [String] = []
        var reverts: [ControllerStore.PendingRevert] = []
        var statistics: [Int: JSONValue] = [:]
        let unreadable = !desired.invalidFiles.isEmpty
        let empty = desired.models.isEmpty && desired.invalidModels.isEmpty && artifactErrors.isEmpty
        let names = Set(desired.models.keys).union(desired.invalidModels.keys).union(artifactErrors.keys).union(next.keys)
        for name in names.sorted() {
            let model = desired.models[name]
            let manifestError = desired.invalidModels[name].map(Self.describe) ?? artifactErrors[name]
            if model == nil && manifestError == nil {
                guard var state = next[name] else { continue }
                if unreadable || (empty && !config.allowEmpty) {
                    let why = unreadable
                        ? "a manifest file cannot be read at \(commit.short), so removals are not trusted"
                        : "the manifest set is empty at \(commit.short); set controller.allowEmpty to prune every model"
                    if state.reason != "Kept" {
                        state.reason = "Kept"
                        state.message = why
                        changed[name] = state
                        next[name] = state
                        events.append(.init(model: name, event: RolloutEvent("kept", why, revision: commit.hex), actor: "controller"))
                    }
                    continue
                }
                next[name] = nil
                removed.append(name)
                events.append(.init(model: name, event: RolloutEvent("pruned", "\(name) is no longer in git; removed from the data plane", revision: commit.hex), actor: "controller"))
                continue
            }
            let observation = ModelObservation(readyVersions: observed[name] ?? [])
            var decision = RolloutEngine.reconcile(
                desired: model, revision: commit.hex, manifestError: manifestError, state: next[name],
                observation: observation, now: now)
            if decision.analysisDue, let deployment = model?.deployment, let analysis = deployment.rollout?.analysis,
               let candidate = decision.state.candidate, let stable = decision.state.stable {
                // The data plane keeps 10 s windows: ask for enough of them to cover a whole
                // interval even when the current one has just begun.
                let window = Int(analysis.interval.seconds.rounded(.up)) + 10
                if statistics[window] == nil { statistics[window] = try? await dataPlane.stats(windowSeconds: window) }
                let candidateVersion = Self.candidateVersion(candidate.target, stable: stable)
                let distributions = await analysisDistributions(
                    analysis, model: name, candidate: candidateVersion, stable: stable.primary, now: now)
                let run = AnalysisEvaluator.evaluate(
                    analysis,
                    candidate: statistics[window].flatMap { Self.window(in: $0, model: name, version: candidateVersion) },
                    stable: statistics[window].flatMap { Self.window(in: $0, model: name, version: stable.primary) },
                    distributions: distributions,
                    candidateWeight: candidate.weight, at: now)
                measurements.append((name, candidate.target.revision, run))
                let after = RolloutEngine.analyze(run, state: decision.state, deployment: deployment, observation: observation, now: now)
                decision = RolloutEngine.Decision(state: after.state, events: decision.events + after.events, analysisDue: false)
            }
            if decision.state != next[name] { changed[name] = decision.state }
            next[name] = decision.state
            events += decision.events.map { .init(model: name, event: $0, actor: "controller") }
            if model?.deployment.rollout?.onAbort == .revert, let aborted = decision.events.first(where: { $0.kind == "aborted" }),
               let failed = aborted.revision {
                reverts.append(.init(model: name, revision: failed))
            }
        }
        // Record before acting: the decisions and the intents they imply (revert commits) are
        // saved first. A save that fails leaves what runs and what git says untouched, and the
        // next pass decides again from the store; a crash after the save is finished by the
        // next pass (the spec follows from the saved states, the reverts from their intents).
        do {
            try store.save(
                states: Array(changed.values), removed: removed, events: events, measurements: measurements, reverts: reverts, at: now)
        } catch {
            lastPassError = "saving the pass failed, so nothing was applied: \(error)"
            logger.error("pass (\(reason)): \(lastPassError ?? "")", metadata: ["trigger": "\(reason)"])
            return
        }
        states = next
        for record in events { logger.info("\(record.model): \(record.event.kind): \(record.event.message)", metadata: ["model": "\(record.model)", "trigger": "\(reason)"]) }
        await apply(runtimeSpec(revision: commit.hex, states: next), reason: reason, now: now)
        // After the abort is applied (traffic already back on stable), make git say so.
        await performPendingReverts(now: now)
    }

    /// Applies `spec` when the data plane runs something else, then records what the data
    /// plane now runs (applied revision and digest); both are facts that the next pass
    /// derives again, so a failure here loses nothing.
    private func apply(_ spec: RuntimeSpec, reason: String, now: Double) async {
        var events: [ControllerStore.EventRecord] = []
        var changed: [RolloutState] = []
        do {
            // The data plane's own spec is re-read on timed passes (self-heal) and after
            // errors; other passes compare with what this controller applied last.
            var runningSpec = lastApplied
            if lastApplied == nil || reason == "interval" || reason == "start" {
                let running = try await dataPlane.spec()
                runningSpec = running.flatMap { try? RuntimeSpec.decode(json: Array($0.serialized().utf8)) }
            }
            if runningSpec != spec {
                try await dataPlane.apply(spec)
                if runningSpec != nil && lastApplied == spec {
                    events.append(.init(model: "*", event: RolloutEvent("selfHeal", "the data plane's spec differed from the controller's; replaced"), actor: "controller"))
                }
            }
            lastApplied = spec
            lastPassError = nil
            for var state in states.values where RolloutEngine.route(for: state) != nil {
                let revision = state.candidate?.target.revision ?? state.stable?.revision
                let digest = state.candidate?.target.digest ?? state.stable?.digest
                if state.appliedRevision != revision || state.appliedDigest != digest {
                    state.appliedRevision = revision
                    state.appliedDigest = digest
                    changed.append(state)
                }
            }
        } catch {
            lastApplied = nil
            lastPassError = "applying the runtime spec failed: \(error)"
            logger.error("\(lastPassError ?? "")", metadata: ["trigger": "\(reason)"])
        }
        guard !changed.isEmpty || !events.isEmpty else { return }
        do {
            try store.save(states: changed, events: events, at: now)
            for state in changed { states[state.name] = state }
        } catch {
            logger.error("saving the applied revisions failed: \(error)", metadata: ["trigger": "\(reason)"])
        }
        for record in events { logger.info("\(record.model): \(record.event.kind): \(record.event.message)", metadata: ["model": "\(record.model)", "trigger": "\(reason)"]) }
    }

    /// Writes the revert commits whose intents are in the store; each outcome is recorded in
    /// the transaction that forgets its intent.
    func performPendingReverts(now: Double) async {
        let pending: [ControllerStore.PendingRevert]
        do {
            pending = try store.pendingReverts()
        } catch {
            logger.error("reading pending reverts failed: \(error)")
            return
        }
        for revert in pending {
            let event = await revertAfterAbort(model: revert.model, failedRevision: revert.revision)
            let record = ControllerStore.EventRecord(model: revert.model, event: event, actor: "controller")
            do {
                try store.completeRevert(revert, event: record, at: now)
            } catch {
                // The intent stays; the next pass finds the revert already written and skips it.
                logger.error("recording the revert of \(revert.model) failed: \(error)", metadata: ["model": "\(revert.model)"])
            }
            logger.info("\(record.model): \(record.event.kind): \(record.event.message)", metadata: ["model": "\(record.model)", "revision": "\(revert.revision)"])
        }
    }

    /// The sketches of the candidate and the stable version over the last analysis
    /// interval (whole ended buckets), and the baselines the checks name; nil when no
    /// check needs them.
    func analysisDistributions(_ analysis: Analysis, model: String, candidate: String, stable: String, now: Double) async -> AnalysisEvaluator.Distributions? {
        let checks = analysis.checks.filter { $0.metric.isDrift || $0.metric == .accuracy || $0.metric == .mae }
        guard !checks.isEmpty else { return nil }
        let since = Int64(now) - Int64(analysis.interval.seconds.rounded(.up))
        guard let collected = try? await dataPlane.monitoring(after: since - 1) else {
            return AnalysisEvaluator.Distributions(candidate: nil, stable: nil)
        }
        func merged(_ version: String) -> MonitoringBucket? {
            let buckets = collected.buckets.filter { $0.model == model && $0.version == version && $0.start >= since }
            guard var window = buckets.first else { return nil }
            for bucket in buckets.dropFirst() { window.merge(bucket) }
            return window
        }
        var baselines: [String: MonitorEvaluator.Reference] = [:]
        for check in checks where check.against == .reference {
            if let path = check.reference { baselines[path] = await reference(for: path, test: check.test) }
        }
        return AnalysisEvaluator.Distributions(candidate: merged(candidate), stable: merged(stable), baselines: baselines)
    }

    /// Reads and validates the manifests at `head` and writes their artifacts where the data
    /// plane can run them. A model whose artifact is missing is invalid at this revision.
    func readDesired(at head: CommitID) async throws {
        let set = try await reader.read(at: head)
        var state = DesiredState(revision: head.hex, files: set.files)
        // Paths changed since the last desired commit: a model whose manifest and artifacts
        // are untouched keeps its materialized artifacts and digest (cost follows the change).
        var changedPaths: Set<String>?
        if let previous = desiredCommit, let changes = try? await source.changes(from: previous, to: head) {
            changedPaths = Set(changes.flatMap { [$0.oldPath, $0.newPath].compactMap { $0 } })
        }
        var errors: [String: String] = [:]
        var materialized: [String: MaterializedModel] = [:]
        for (name, model) in state.models {
            if let changedPaths, let earlier = materializedModels[name], earlier.path == model.path,
               !changedPaths.contains(model.path),
               !model.deployment.versions.contains(where: { changedPaths.contains($0.artifact) }),
               earlier.sourceDigest == model.specDigest {
                state.models[name] = earlier.model
                materialized[name] = earlier
                continue
            }
            var deployment = model.deployment
            var identities: [String] = []
            do {
                for index in deployment.versions.indices {
                    let version = deployment.versions[index]
                    let artifact = try await artifacts.materialize(version.artifact, digest: version.digest, at: head, source: source)
                    deployment.versions[index].artifact = artifact.path
                    identities.append(artifact.identity)
                }
                // The artifacts' content is part of what runs: fold their blob ids into the
                // digest, so a new model file under the same name is a change.
                let digest = "sha256:" + SHA256.hexDigest(of: Array((model.specDigest + "\n" + identities.joined(separator: "\n")).utf8))
                let resolved = DesiredState.Model(deployment: deployment, path: model.path, nameLocation: model.nameLocation, specDigest: digest)
                state.models[name] = resolved
                materialized[name] = MaterializedModel(path: model.path, sourceDigest: model.specDigest, model: resolved)
            } catch {
                errors[name] = "\(error)"
                state.models[name] = nil
            }
        }
        materializedModels = materialized
        desired = state
        desiredCommit = head
        sketchedInputs = await sketchedInputs(of: state)
        artifactErrors = errors
        logger.info("desired state at \(head.short): \(state.models.count) models, \(state.invalidModels.count + errors.count) invalid", metadata: ["revision": "\(head.short)"])
    }

    /// Per model, the input features the data plane sketches: those named by its monitors
    /// and checks, and the features of the baselines they compare all inputs with (read
    /// at the desired commit; an unreadable baseline adds nothing and its monitor reports
    /// why).
    func sketchedInputs(of state: DesiredState) async -> [String: [String]] {
        var result: [String: [String]] = [:]
        for (name, model) in state.models {
            var (names, paths) = model.deployment.sketchedInputs
            for path in paths.sorted() {
                if case .baseline(let features) = await reference(for: path, test: nil) { names.formUnion(features.keys) }
            }
            result[name] = names.sorted()
        }
        return result
    }

    /// Ready versions per model, from the data plane's observed state.
    func readyVersions() async throws -> [String: Set<String>] {
        let state = try await dataPlane.state()
        var ready: [String: Set<String>] = [:]
        for model in state["models"]?.items ?? [] {
            guard let name = model["name"]?.stringValue else { continue }
            ready[name] = Set((model["versions"]?.items ?? []).compactMap { version in
                version["ready"]?.boolValue == true ? version["name"]?.stringValue : nil
            })
        }
        return ready
    }

    /// The complete runtime spec for every model the controller manages.
    func runtimeSpec(revision: String, states: [String: RolloutState]) -> RuntimeSpec {
        let models = states.values.sorted { $0.name < $1.name }.compactMap { state -> ModelRuntime? in
            guard let route = RolloutEngine.route(for: state) else { return nil }
            return ModelRuntime(
                name: state.name,
                versions: route.versions.map {
                    VersionRuntime(name: $0.name, runtime: $0.runtime, artifact: $0.artifact, digest: $0.digest)
                },
                route: Route(
                    weights: route.weights,
                    stickyHeader: route.stickyHeader,
                    mirror: route.mirror.map { Route.Mirror(version: $0.version, percent: Double($0.percent)) }
                ),
                sketchInputs: sketchedInputs[state.name] ?? []
            )
        }
        return RuntimeSpec(revision: revision, models: models)
    }

    /// The version under analysis, by its data-plane name: the new version with the most
    /// target traffic.
    static func candidateVersion(_ target: ServingSet, stable: ServingSet) -> String {
        let old = Dictionary(stable.versions.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let fresh = target.versions.filter { old[$0.name] != $0 }
        guard let best = fresh.max(by: { (target.weights[$0.name] ?? 0) < (target.weights[$1.name] ?? 0) }) else { return target.primary }
        return RolloutEngine.dataPlaneName(of: best, stable: stable)
    }

    /// A version the data plane has no statistics for got no requests: thin data, judged
    /// Inconclusive, not an Error (that is for statistics that cannot be read).
    static func window(in snapshot: JSONValue, model: String, version: String) -> VersionWindow? {
        guard let entry = snapshot["models"]?[model]?[version], let window = entry["window"] else {
            return VersionWindow(requests: 0, errors: 0)
        }
        var latency: [String: Double] = [:]
        for (key, value) in entry["latencyMs"]?.members ?? [] {
            if let number = value.doubleValue { latency["latency_\(key)_ms"] = number }
        }
        return VersionWindow(
            requests: Int(window["requests"]?.doubleValue ?? 0),
            errors: Int(window["errors"]?.doubleValue ?? 0),
            latencyMs: latency)
    }

    static func describe(_ invalid: DesiredState.InvalidManifest) -> String {
        let first = invalid.diagnostics.first.map { "\(invalid.path):\($0.location.line):\($0.location.column): \($0.message)" }
            ?? "\(invalid.path): invalid"
        let more = invalid.diagnostics.count > 1 ? " (and \(invalid.diagnostics.count - 1) more)" : ""
        return first + more
    }
}
