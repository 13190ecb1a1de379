import Crypto
import Foundation
import Logging
import SluiceConfig
import SluiceCore
import SluiceGit
import SluiceServe
import SluiceStore

extension Controller {
    /// One reconcile pass, in ordered steps: **observe** (git at the head, what the backend
    /// runs), **decide** (the pure rollout engine, per model), **measure** and **judge**
    /// (only models whose analysis is due), **record** (one transaction, before acting),
    /// **apply** (the complete spec) and finally the revert commits whose intents were
    /// recorded. Each step returns; a failed step ends the pass with what it knew.
    @discardableResult
    func reconcile(_ trigger: Trigger) async -> ReconcileResult {
        let started = ContinuousClock.now
        defer { metrics.observePass(ContinuousClock.now - started) }
        let now = clock.now()
        var result = ReconcileResult(trigger: trigger, commit: desiredCommit)
        guard await mayAct() else {
            result.failure = (.leadership, "this replica is not the leader; it waits to take over")
            return result
        }
        // Every pass that acted ends by noting whether it failed (the reconcile error events).
        defer { noteReconcileOutcome(at: now) }
        // A remote's fetch is a round trip that what the backend runs does not depend on:
        // that is read meanwhile. Without a fetch, git is read first, then the backend.
        let backend = self.backend
        let observing: Task<Result<ObservedState, DataPlaneError>, Never>? =
            trigger.fetchesRemote && config.repositoryLocation.isRemote
            ? Task {
                do throws(DataPlaneError) { return .success(try await backend.observe()) } catch { return .failure(error) }
            } : nil
        let gitFailure = await readGit(trigger)
        if let failure = gitFailure {
            lastPassError = failure
            logger.error("pass (\(trigger)): \(failure)", metadata: ["trigger": "\(trigger)"])
            result.failure = (.readGit, failure)
            metrics.recordPassFailure(.readGit)
            // With a desired state from an earlier commit, the pass goes on with it.
            if desired == nil {
                observing?.cancel()
                return result
            }
        }
        guard let desired, let commit = desiredCommit else {
            observing?.cancel()
            return result
        }
        result.commit = commit
        let observed: ObservedState
        do {
            if let observing { observed = try await observing.value.get() } else { observed = try await backend.observe() }
        } catch {
            lastPassError = "\(error)"
            logger.error("pass (\(trigger)): \(error)", metadata: ["trigger": "\(trigger)"])
            result.failure = (.observe, "\(error)")
            metrics.recordPassFailure(.observe)
            return result
        }
        noteReplicas(observed)
        var decisions = PassDecider.decide(
            desired: desired, commit: commit, modelProblems: modelProblems, states: states,
            readyVersions: observed.readyVersions, allowEmpty: config.allowEmpty, windows: config.windows, now: now)
        await measure(&decisions, desired: desired, now: now)
        // Recorded beside the decisions, never read by them: scaling changes no rollout.
        let scaled = scaleEvents(in: observed, models: decisions.next)
        decisions.events += scaled.records
        // Record before acting: the decisions and the intents they imply (revert commits) are
        // saved first. A save that fails leaves what runs and what git says untouched, and the
        // next pass decides again from the store; a crash after the save is finished by the
        // next pass (the spec follows from the saved states, the reverts from their intents).
        do {
            try store.save(
                states: Array(decisions.changed.values), removed: decisions.removed, events: decisions.events,
                measurements: decisions.measurements, reverts: decisions.reverts,
                settings: scaled.cursor.flatMap { $0 == scaleCursor ? nil : [ScaleEventCursor.settingKey: $0.setting] } ?? [:], at: now)
        } catch {
            let failure = "saving the pass failed, so nothing was applied: \(error)"
            lastPassError = failure
            logger.error("pass (\(trigger)): \(failure)", metadata: ["trigger": "\(trigger)"])
            result.failure = (.record, failure)
            metrics.recordPassFailure(.record)
            return result
        }
        states = decisions.next
        scaleCursor = scaled.cursor
        // A replica that takes over resumes from these copies: they are written before the
        // spec they imply, like the store (only changed states are sent).
        do {
            try await replicateStates()
        } catch {
            let failure = "keeping the rollout states in the backend failed, so nothing was applied: \(error)"
            lastPassError = failure
            logger.error("pass (\(trigger)): \(failure)", metadata: ["trigger": "\(trigger)"])
            result.failure = (.record, failure)
            metrics.recordPassFailure(.record)
            return result
        }
        result.events = decisions.events
        for record in decisions.events {
            logger.info("\(record.model): \(record.event.kind): \(record.event.message)", metadata: ["model": "\(record.model)", "trigger": "\(trigger)", "revision": "\(commit.short)"])
        }
        let applied = await apply(runtimeSpec(revision: commit.hex, states: decisions.next), trigger: trigger, now: now)
        result.appliedSpec = applied.sent
        result.events += applied.events
        if let failure = applied.failure {
            result.failure = (.apply, failure)
            metrics.recordPassFailure(.apply)
        }
        // A pass that went on with an earlier commit still could not read git: keep saying so.
        if applied.failure == nil, let gitFailure { lastPassError = gitFailure }
        // After the abort is applied (traffic already back on stable), make git say so.
        if applied.failure == nil { result.events += await performPendingReverts(now: now) }
        return result
    }

    /// Resolves the head (fetching first when the trigger asks) and reads the manifests
    /// when it moved; returns why that failed, or nil.
    func readGit(_ trigger: Trigger) async -> String? {
        do {
            let resolved = try await resolveHead(fetch: trigger.fetchesRemote)
            // An unverified head keeps the last verified commit (`controller.verify`); with none
            // yet, nothing is read and the status says why (not a failure retried every second).
            guard let head = try await verifiedTarget(resolved) else { return nil }
            // A background fetch that ended, or a failed one due again, needs the manifests read anew.
            if head != desiredCommit || artifactsArrived || remoteFetches.retryDue(now: clock.now()) {
                artifactsArrived = false
                remoteFetches.touched = []
                try await readDesired(at: head)
                remoteFetches.forgetUntouchedFailures()
                await pinFetchedArtifacts()
            }
            return nil
        } catch {
            return "reading git failed: \(error)"
        }
    }

    /// Measures the candidates whose analysis is due and judges each run with the rollout
    /// engine; the other decisions are left as they are. Every Prometheus query of the pass
    /// (all due models) runs in one batch, so its wall time is a few round trips.
    private func measure(_ decisions: inout PassDecider.Decisions, desired: DesiredState, now: Double) async {
        struct Due {
            var name: String
            var deployment: ModelDeployment
            var analysis: Analysis
            var candidate: RolloutState.Candidate
            var candidateVersion: String
            var stableVersion: String
            var plan: AnalysisQueryPlan
        }
        var due: [Due] = []
        var batch = QueryBatch()
        for name in decisions.analysisDue {
            guard let deployment = desired.models[name]?.deployment, let analysis = deployment.rollout?.analysis,
                  let state = decisions.next[name], let candidate = state.candidate, let stable = state.stable else { continue }
            let candidateVersion = Self.candidateVersion(candidate.target, stable: stable)
            // Evaluated at the server's now, not the controller's: a skewed controller clock
            // must not shift the window (monitors, judging ended windows, pass their end).
            let plan = AnalysisQueryPlan(
                analysis, model: name, candidate: candidateVersion, stable: stable.primary, provider: metricsProvider, time: nil, batch: &batch)
            due.append(Due(name: name, deployment: deployment, analysis: analysis, candidate: candidate,
                           candidateVersion: candidateVersion, stableVersion: stable.primary, plan: plan))
        }
        var outcomes: [QueryBatch.Key: QueryOutcome] = [:]
        if let provider = metricsProvider, !batch.isEmpty {
            outcomes = await batch.run(on: provider.client, limit: provider.maxConcurrentQueries, observe: metrics.recordQuery)
        }
        var statistics: [Int: StatsSnapshot] = [:]
        for model in due {
            let analysis = model.analysis
            var windows = model.plan.windows(outcomes: outcomes)
            let phase = model.candidate.analysisPhase
            var shadow: ShadowTally?
            var shadowUnavailable: String?
            if windows != nil {
                // Prometheus knows the traffic the versions served, not the copies the gateway paired.
                shadowUnavailable = "the built-in metrics come from Prometheus (controller.prometheus.builtinQueries), "
                    + "which has no paired copies; pairing needs Sluice's own gateway (`sluice serve`)"
            } else {
                // The data plane keeps 10 s windows: ask for enough of them to cover a whole
                // interval even when the current one has just begun.
                let window = Int(analysis.interval.seconds.rounded(.up)) + 10
                if statistics[window] == nil { statistics[window] = try? await backend.stats(windowSeconds: window) }
                windows = (statistics[window]?.window(model: model.name, version: model.candidateVersion),
                           statistics[window]?.window(model: model.name, version: model.stableVersion))
                if phase.kind == .shadow {
                    shadow = statistics[window]?.shadow(model: model.name, version: model.candidateVersion)
                    if statistics[window] == nil { shadowUnavailable = "the data plane's statistics could not be read" }
                }
            }
            let distributions = await analysisDistributions(
                analysis, model: model.name, candidate: model.candidateVersion, stable: model.stableVersion, now: now)
            var run = AnalysisEvaluator.evaluate(
                analysis, candidate: windows?.candidate, stable: windows?.stable, distributions: distributions,
                queried: model.plan.queried(analysis, outcomes: outcomes),
                candidateWeight: model.candidate.weight, phase: phase, shadow: shadow, shadowUnavailable: shadowUnavailable, at: now)
            run.shadow?.version = model.candidateVersion
            metrics.recordAnalysis(model: model.name, run: run)
            decisions.judge(run, model: model.name, deployment: model.deployment, revision: model.candidate.target.revision, now: now)
        }
    }

    /// Applies `spec` when the data plane runs something else, then records what the data
    /// plane now runs (applied revision and digest); both are facts that the next pass
    /// derives again, so a failure here loses nothing.
    private func apply(_ spec: RuntimeSpec, trigger: Trigger, now: Double) async -> (sent: Bool, events: [ControllerStore.EventRecord], failure: String?) {
        var events: [ControllerStore.EventRecord] = []
        var changed: [RolloutState] = []
        var sent = false
        do {
            // The data plane's own spec is re-read on timed passes (self-heal) and after
            // errors; other passes compare with what this controller applied last.
            var runningSpec = lastApplied
            if lastApplied == nil || trigger.rereadsDataPlaneSpec {
                runningSpec = try await backend.currentSpec()
            }
            if runningSpec != spec {
                _ = try await backend.apply(spec)
                sent = true
                if let runningSpec, lastApplied == spec {
                    // Recorded per model, so `sluice history MODEL` shows it; a difference in
                    // the revision label alone is recorded for every model.
                    let drifted = spec.modelNamesDiffering(from: runningSpec)
                    for model in drifted.isEmpty ? spec.models.map(\.name) : drifted {
                        events.append(.init(model: model, event: RolloutEvent(.selfHeal, "the data plane's spec for this model differed from the controller's; replaced"), actor: "controller"))
                    }
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
            let failure = "applying the runtime spec failed: \(error)"
            lastPassError = failure
            logger.error("\(failure)", metadata: ["trigger": "\(trigger)"])
            return (sent, events, failure)
        }
        guard !changed.isEmpty || !events.isEmpty else { return (sent, events, nil) }
        do {
            try store.save(states: changed, events: events, at: now)
            for state in changed { states[state.name] = state }
            try? await replicateStates()
        } catch {
            logger.error("saving the applied revisions failed: \(error)", metadata: ["trigger": "\(trigger)"])
        }
        for record in events { logger.info("\(record.model): \(record.event.kind): \(record.event.message)", metadata: ["model": "\(record.model)", "trigger": "\(trigger)"]) }
        return (sent, events, nil)
    }

    /// Writes the revert commits whose intents are in the store; each outcome is recorded in
    /// the transaction that forgets its intent.
    @discardableResult
    func performPendingReverts(now: Double) async -> [ControllerStore.EventRecord] {
        let pending: [ControllerStore.PendingRevert]
        do {
            pending = try store.pendingReverts()
        } catch {
            logger.error("reading pending reverts failed: \(error)")
            return []
        }
        var recorded: [ControllerStore.EventRecord] = []
        for revert in pending {
            let (event, outcome) = await revertAfterAbort(model: revert.model, failedRevision: revert.revision)
            let record = ControllerStore.EventRecord(model: revert.model, event: event, actor: "controller")
            // The status says what became of the revert, while it still shows that rollout.
            var state = states[revert.model]
            if state?.lastRollout?.revision == revert.revision {
                state?.lastRollout?.revert = outcome
            } else {
                state = nil
            }
            do {
                try store.completeRevert(revert, event: record, state: state, at: now)
                if let state { states[state.name] = state }
            } catch {
                // The intent stays; the next pass finds the revert already written and skips it.
                logger.error("recording the revert of \(revert.model) failed: \(error)", metadata: ["model": "\(revert.model)"])
            }
            recorded.append(record)
            logger.info("\(record.model): \(record.event.kind): \(record.event.message)", metadata: ["model": "\(record.model)", "revision": "\(revert.revision)"])
        }
        // A replica that takes over shows the revert too (the next pass would copy it anyway).
        if !pending.isEmpty { try? await replicateStates() }
        return recorded
    }

    /// The sketches of the candidate and the stable version over the last analysis
    /// interval (whole ended buckets), and the baselines the checks name; nil when no
    /// check needs them.
    func analysisDistributions(_ analysis: Analysis, model: String, candidate: String, stable: String, now: Double) async -> AnalysisEvaluator.Distributions? {
        let checks = analysis.checks.filter { $0.metric.isDrift || $0.metric == .accuracy || $0.metric == .mae }
        guard !checks.isEmpty else { return nil }
        let since = Int64(now) - Int64(analysis.interval.seconds.rounded(.up))
        guard let collected = try? await backend.monitoring(after: since - 1) else {
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
        // Manifests changed since the last desired commit: a model whose manifest and artifacts
        // are untouched keeps its materialized artifacts and digest (cost follows the change).
        // `changes` lists manifest files only, so artifacts are compared by their ids.
        var changedPaths: Set<String>?
        if let previous = desiredCommit, let changes = try? await source.changes(from: previous, to: head) {
            changedPaths = Set(changes.flatMap { [$0.oldPath, $0.newPath].compactMap { $0 } })
        }
        var errors: [String: ModelProblem] = [:]
        var materialized: [String: MaterializedModel] = [:]
        for (name, model) in state.models {
            // A runtime the data plane does not have would make it refuse the whole spec, so
            // this model alone stays out of it (keeping what runs) and the others go on.
            if let problem = ModelProblem.undefinedRuntime(of: model.deployment, path: model.path, runtimes: config.runtimes.keys) {
                errors[name] = problem
                state.models[name] = nil
                continue
            }
            if let changedPaths, let earlier = materializedModels[name], earlier.path == model.path,
               !changedPaths.contains(model.path),
               earlier.sourceDigest == model.specDigest, let previous = desiredCommit,
               await repositoryArtifactsUnchanged(model.deployment, from: previous, to: head) {
                state.models[name] = earlier.model
                materialized[name] = earlier
                continue
            }
            var deployment = model.deployment
            var identities: [String] = []
            do {
                for index in deployment.versions.indices {
                    let version = deployment.versions[index]
                    if case .kubernetes = config.backend {
                        identities.append(try Self.clusterArtifact(version.artifact, digest: version.digest))
                        continue
                    }
                    let artifact = try await materialize(version, deployment: model.deployment, at: head)
                    deployment.versions[index].artifact = artifact.path
                    identities.append(artifact.identity)
                }
                // The artifacts' content is part of what runs: fold their blob ids into the
                // digest, so a new model file under the same name is a change.
                let digest = "sha256:" + SHA256.hexDigest(of: Array((model.specDigest + "\n" + identities.joined(separator: "\n")).utf8))
                let resolved = DesiredState.Model(deployment: deployment, path: model.path, nameLocation: model.nameLocation, specDigest: digest)
                state.models[name] = resolved
                materialized[name] = MaterializedModel(path: model.path, sourceDigest: model.specDigest, model: resolved)
            } catch let problem as ModelProblem {
                errors[name] = problem
                state.models[name] = nil
            } catch {
                errors[name] = ModelProblem(kind: .failed, message: "\(error)")
                state.models[name] = nil
            }
        }
        materializedModels = materialized
        desired = state
        desiredCommit = head
        sketchedInputs = await sketchedInputs(of: state)
        modelProblems = errors
        logger.info("desired state at \(head.short): \(state.models.count) models, \(state.invalidModels.count + errors.count) invalid", metadata: ["revision": "\(head.short)"])
    }

    /// What a cluster runtime fetches itself: a remote URI passes unchanged (the runtime, e.g.
    /// KServe's storage initializer, downloads it), and its text is what the spec digest folds
    /// in. A path in git cannot reach a cluster's pods, so it makes the model invalid there.
    static func clusterArtifact(_ artifact: String, digest: SluiceCore.Digest?) throws -> String {
        switch ArtifactReference.parse(artifact) {
        case .repositoryFile, .repositoryDirectory:
            throw ArtifactError(
                .notReachable,
                "artifact '\(artifact)' is in the git repository, which pods on the cluster cannot read; on the kubernetes backend give a URI the runtime fetches (s3://, gs://, https://, pvc://, hf://)")
        case .mlflow:
            throw ArtifactError(
                .notReachable,
                "artifact '\(artifact)': models:/ is resolved by Sluice's local backend; on the kubernetes backend give the version's storage URI (s3://, gs://, https://), which the runtime fetches")
        case .unsupported(_, let reason):
            throw ArtifactError(.notReachable, "artifact '\(ArtifactRedaction.display(artifact))': \(reason)")
        case .s3, .https, .clusterOnly:
            return "uri:\(artifact)" + (digest.map { " \($0.description)" } ?? "")
        }
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

    /// The complete runtime spec for every model the controller manages.
    func runtimeSpec(revision: String, states: [String: RolloutState]) -> RuntimeSpec {
        let models = states.values.sorted { $0.name < $1.name }.compactMap { state -> ModelRuntime? in
            guard let route = RolloutEngine.route(for: state) else { return nil }
            return ModelRuntime(name: state.name, route: route, sketchInputs: sketchedInputs[state.name] ?? [])
        }
        return RuntimeSpec(revision: revision, models: models)
    }

    /// The version under analysis, by its data-plane name: the new version with the most
    /// target traffic.
    static func candidateVersion(_ target: ServingSet, stable: ServingSet) -> String {
        RolloutEngine.candidateVersion(target, stable: stable)
    }

    static func describe(_ invalid: DesiredState.InvalidManifest) -> String {
        let first = invalid.diagnostics.first.map { "\(invalid.path):\($0.location.line):\($0.location.column): \($0.message)" }
            ?? "\(invalid.path): invalid"
        let more = invalid.diagnostics.count > 1 ? " (and \(invalid.diagnostics.count - 1) more)" : ""
        return first + more
    }
}
