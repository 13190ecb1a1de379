/// What one reconcile pass observed of a model in the data plane.
public struct ModelObservation: Sendable {
    /// Versions that are ready (may get traffic).
    public var readyVersions: Set<String>
    /// Per-version statistics over the analysis window, when analysis is due.
    public var windows: [String: VersionWindow]

    public init(readyVersions: Set<String>, windows: [String: VersionWindow] = [:]) {
        self.readyVersions = readyVersions
        self.windows = windows
    }
}

/// The route a model should have in the data plane now.
public struct ModelRoute: Sendable, Hashable {
    public var versions: [ServingSet.Version]
    public var weights: [String: Int]
    public var stickyHeader: String?
    public var mirror: Mirror?
    /// Set during a shadow step: the mirror's answers are paired with the callers' at
    /// these agreement tolerances (see ``Route/Mirror/Pairing``).
    public var mirrorPairing: Route.Mirror.Pairing? = nil
    /// Each data-plane version's replica bounds (absent: one process), from
    /// ``RolloutEngine/replicaBounds(stable:candidate:route:)``.
    public var scaling: [String: ReplicaScaling] = [:]
}

/// The rollout decisions, as pure functions of (desired, state, observation, time):
/// Sluice's rules from Argo Rollouts and Flagger (DESIGN §3) in one place.
public enum RolloutEngine {
    /// The result of one decision.
    public struct Decision: Sendable {
        public var state: RolloutState
        public var events: [RolloutEvent]
        /// True when the caller should take a measurement and call `analyze`.
        public var analysisDue: Bool

        public init(state: RolloutState, events: [RolloutEvent], analysisDue: Bool) {
            self.state = state
            self.events = events
            self.analysisDue = analysisDue
        }
    }

    /// Advances a model toward `desired` (nil: the manifest is missing or invalid and the
    /// model keeps its last good state). An event that changes mirroring, stickiness or
    /// pins says so. A closed `gate` (change windows) holds new rollouts and promotions, never
    /// a rollback or an abort.
    public static func reconcile(
        desired: DesiredState.Model?,
        revision: String,
        manifestError: String?,
        state previous: RolloutState?,
        observation: ModelObservation,
        now: Double,
        gate: WindowGate = .open
    ) -> Decision {
        decide(desired: desired, revision: revision, manifestError: manifestError, state: previous, observation: observation, now: now, gate: gate)
            .mentioningRouting(from: previous)
    }

    private static func decide(
        desired: DesiredState.Model?,
        revision: String,
        manifestError: String?,
        state previous: RolloutState?,
        observation: ModelObservation,
        now: Double,
        gate windowGate: WindowGate
    ) -> Decision {
        var state = previous ?? RolloutState(name: desired?.name ?? "", now: now)
        var events: [RolloutEvent] = []
        state.manifestError = manifestError
        // Said afresh by every pass: what holds the change now.
        state.wait = nil
        guard let desired else {
            state.desiredRevision = nil
            state.desiredDigest = nil
            if manifestError != nil, state.stable != nil {
                state.reason = .invalidManifest
                state.message = "the manifest is invalid at \(short(revision)); keeping the last good state"
            }
            return Decision(state: state, events: events, analysisDue: false)
        }
        let target = ServingSet(desired.deployment, digest: desired.specDigest, revision: revision)
        state.desiredRevision = revision
        state.desiredDigest = desired.specDigest
        if let override = state.windowOverride, !override.covers(target.digest, at: now) { state.windowOverride = nil }
        // A person's `promote --override-window` opens the gate for this spec until the window closes.
        let gate = state.windowOverride == nil ? windowGate : .open

        guard let stable = state.stable else {
            if case .closed(let closure) = gate {
                hold(&state, &events, closure, what: "the first deployment of \(desired.name)", revision: revision, previous: previous)
                return Decision(state: state, events: events, analysisDue: false)
            }
            // First deployment: straight to its traffic once ready (no steps, no analysis).
            state.stable = target
            state.stableHistory = [target.digest]
            state.health = .progressing
            state.reason = .deployed
            state.message = "first deployment: \(target.split)"
            state.attemptedRevision = revision
            state.attemptedDigest = target.digest
            events.append(RolloutEvent(.deployed, "first deployment of \(desired.name): \(target.split)", revision: revision))
            return Decision(state: state, events: events, analysisDue: false)
        }

        if target.digest == stable.digest {
            if let candidate = state.candidate {
                events.append(RolloutEvent(.superseded, "git returned to the stable spec; the rollout to \(short(candidate.target.revision)) is cancelled", revision: revision))
                state.lastRollout = RolloutOutcome(
                    kind: .superseded, at: now, revision: candidate.target.revision, split: candidate.target.split,
                    message: "git returned to the stable spec at \(short(revision))")
                state.candidate = nil
            }
            settle(&state, observation: observation, stable: stable)
            return Decision(state: state, events: events, analysisDue: false)
        }

        if let candidate = state.candidate, candidate.target.digest != target.digest {
            events.append(RolloutEvent(.superseded, "a newer commit supersedes the rollout to \(short(candidate.target.revision))", revision: revision))
            state.lastRollout = RolloutOutcome(
                kind: .superseded, at: now, revision: candidate.target.revision, split: candidate.target.split,
                message: "superseded by \(short(revision))")
            state.candidate = nil
        }

        if state.candidate == nil {
            if state.failedDigests.contains(target.digest) {
                state.health = .degraded
                // Said once, when the model lands here (a later pass finds the reason set).
                if state.reason != .candidateFailed {
                    state.message = "this spec failed before and is not retried; change it or run `sluice retry \(desired.name)`. " + state.message
                }
                state.reason = .candidateFailed
                return Decision(state: state, events: events, analysisDue: false)
            }
            state.attemptedRevision = revision
            state.attemptedDigest = target.digest
            let window = desired.deployment.rollout?.rollbackWindow ?? 5
            if state.stableHistory.suffix(window + 1).dropLast().contains(target.digest) {
                makeStable(&state, target)
                // The analysis of another spec would describe something that no longer serves.
                state.lastAnalysis = nil
                state.lastShadow = nil
                state.health = .progressing
                state.reason = .fastRollback
                state.message = "returned to a recent stable spec: \(target.split), no steps, no analysis"
                events.append(RolloutEvent(.fastRollback, "fast rollback of \(desired.name) to \(target.split)", revision: revision))
                return Decision(state: state, events: events, analysisDue: false)
            }
            if case .closed(let closure) = gate {
                settle(&state, observation: observation, stable: stable)
                let what = movesTrafficToNewVersions(from: stable, to: target) ? "the rollout to \(target.split)" : "the change to \(target.split)"
                hold(&state, &events, closure, what: what, revision: revision, previous: previous)
                return Decision(state: state, events: events, analysisDue: false)
            }
            if !movesTrafficToNewVersions(from: stable, to: target) {
                makeStable(&state, target)
                state.health = .progressing
                state.reason = .updated
                // A change of bounds alone moves no traffic: said, so history explains the new replica counts.
                let scaling = stable.scaling == target.scaling ? ""
                    : "; scaling \(SpecDiff.scalingSummary(stable.scaling)) → \(SpecDiff.scalingSummary(target.scaling))"
                state.message = "traffic \(target.split) (no new version gains traffic)" + scaling
                events.append(RolloutEvent(.updated, "\(desired.name) now \(target.split)" + scaling, revision: revision))
                return Decision(state: state, events: events, analysisDue: false)
            }
            state.candidate = RolloutState.Candidate(target: target, startedAt: now)
            // A new rollout: the last one's outcome has been seen long enough. (A fast rollback,
            // such as the revert commit of `onAbort: revert`, is no rollout and keeps it.)
            state.lastRollout = nil
            state.lastShadow = nil
            let steps = desired.deployment.rollout?.steps ?? []
            events.append(RolloutEvent(
                .rolloutStarted,
                steps.isEmpty ? "switching \(desired.name) to \(target.split) once the new versions are ready"
                    : "canary of \(desired.name) toward \(target.split) in \(steps.count) steps",
                revision: revision))
        }
        return advance(state: state, events: events, deployment: desired.deployment, observation: observation, now: now, gate: gate, previous: previous)
    }

    /// Holds a change at a closed window: the status says what waits and until when; the
    /// history says it once, when the wait begins.
    private static func hold(
        _ state: inout RolloutState, _ events: inout [RolloutEvent], _ closure: WindowGate.Closure, what: String, revision: String,
        previous: RolloutState?
    ) {
        state.wait = RolloutState.Wait(reason: .changeWindow, until: closure.until, message: closure.message)
        state.reason = .changeWindow
        state.message = "\(what) waits: \(closure.message)"
        if previous?.wait == nil { events.append(RolloutEvent(.windowWait, state.message, revision: revision)) }
    }

    /// Continues the rollout in `state.candidate`.
    private static func advance(
        state input: RolloutState,
        events input2: [RolloutEvent],
        deployment: ModelDeployment,
        observation: ModelObservation,
        now: Double,
        gate: WindowGate,
        previous: RolloutState?
    ) -> Decision {
        var state = input
        var events = input2
        guard var candidate = state.candidate, let stable = state.stable else {
            return Decision(state: state, events: events, analysisDue: false)
        }
        let rollout = deployment.rollout
        let steps = rollout?.steps.isEmpty == false ? rollout!.steps : [.weight(100)]
        let deadline = (rollout?.progressDeadline ?? .seconds(600)).seconds
        candidate.stepCount = steps.count
        let newVersions = candidate.target.versions.filter { (candidate.target.weights[$0.name] ?? 0) > 0 }
            .map { dataPlaneName(of: $0, stable: stable) }
        if candidate.readyAt == nil {
            if newVersions.allSatisfy(observation.readyVersions.contains) {
                candidate.readyAt = now
                candidate.stepStartedAt = now
            } else if now - candidate.startedAt > deadline {
                state.candidate = candidate
                return abort(state, events: events, reason: .progressDeadlineExceeded, outcome: .abortedByDeadline,
                             detail: "\(newVersions.filter { !observation.readyVersions.contains($0) }.joined(separator: ", ")) not ready within \(Duration(milliseconds: Int64(deadline * 1000)))",
                             now: now)
            } else {
                state.candidate = candidate
                state.health = .progressing
                state.reason = .waitingForReadiness
                state.message = "waiting for \(newVersions.joined(separator: ", ")) to become ready"
                return Decision(state: state, events: events, analysisDue: false)
            }
        }
        // A closed window holds the rollout where it is: no step advances, no promotion;
        // analysis goes on, so a failing candidate is still aborted.
        if case .closed(let closure) = gate {
            state.candidate = candidate
            state.health = .paused
            hold(
                &state, &events, closure, what: "step \(candidate.stepNumber)/\(steps.count) at \(candidate.weight)% toward \(candidate.target.split)",
                revision: candidate.target.revision, previous: previous)
            return Decision(state: state, events: events, analysisDue: isAnalysisDue(candidate, rollout: rollout, now: now))
        }
        // Walk the steps that can complete now.
        while candidate.step < steps.count {
            let step = steps[candidate.step]
            var done = false
            switch step {
            case .weight(let weight):
                if candidate.weight != weight {
                    candidate.weight = weight
                    candidate.weightChangedAt = now
                    candidate.stepStartedAt = now
                    events.append(RolloutEvent(.step, "step \(candidate.step + 1)/\(steps.count): \(weight)% to the candidate", revision: candidate.target.revision))
                }
                // With analysis, a weight step passes after one successful run at that weight.
                if rollout?.analysis == nil {
                    done = true
                } else if let last = state.lastAnalysis, last.effectivePhase == .weight(weight), last.verdict == .successful,
                          last.at >= candidate.stepStartedAt {
                    done = true
                }
            case .pause(let duration):
                done = now - candidate.stepStartedAt >= duration.seconds
            case .shadow(let shadowStep):
                // The candidate answers copies of stable's requests; its weight stays as it was
                // (0 before any weight step: no caller gets its answers).
                let shadow = candidate.shadow ?? RolloutState.Candidate.ActiveShadow(
                    percent: shadowStep.percent, startedAt: now, tolerances: rollout?.analysis?.agreementTolerances ?? [0])
                if candidate.shadow == nil {
                    candidate.shadow = shadow
                    candidate.stepStartedAt = now
                    events.append(RolloutEvent(
                        .step,
                        "step \(candidate.step + 1)/\(steps.count): shadow: copies of \(shadowStep.percent)% of stable's requests to "
                            + "\(candidateVersion(candidate.target, stable: stable)) for \(shadowStep.duration); callers get stable's answers",
                        revision: candidate.target.revision))
                }
                // Passes once its time is up and, with analysis, the last run since it began was
                // taken in it and was successful.
                if now - shadow.startedAt >= shadowStep.duration.seconds {
                    if rollout?.analysis == nil {
                        done = true
                    } else if let last = state.lastAnalysis, last.effectivePhase == .shadow(shadow.percent), last.verdict == .successful,
                              last.at >= shadow.startedAt {
                        done = true
                    }
                }
                if done { candidate.shadow = nil }
            case .approval:
                if !candidate.awaitingPromotion {
                    candidate.awaitingPromotion = true
                    events.append(RolloutEvent(.awaitingApproval, "step \(candidate.step + 1)/\(steps.count): waiting for `sluice promote \(state.name)`", revision: candidate.target.revision))
                }
            }
            guard done else { break }
            candidate.step += 1
            candidate.stepStartedAt = now
        }
        state.candidate = candidate
        if candidate.step >= steps.count {
            return promote(state, events: events, now: now)
        }
        let analysisDue = isAnalysisDue(candidate, rollout: rollout, now: now)
        state.health = candidate.awaitingPromotion ? .paused : .progressing
        state.reason = candidate.awaitingPromotion ? (candidate.pauseReason == nil ? .awaitingApproval : .inconclusive) : .canary
        let shadowing = candidate.shadow.map {
            ", shadow: \(candidateVersion(candidate.target, stable: stable)) answers copies of \($0.percent)% of stable's requests"
        } ?? ""
        state.message = "step \(candidate.step + 1)/\(steps.count)\(shadowing), candidate at \(candidate.weight)% of the way to \(candidate.target.split)"
            + (candidate.pauseReason.map { "; paused: \($0)" } ?? "")
        return Decision(state: state, events: events, analysisDue: analysisDue)
    }

    /// Analysis judges a full interval of traffic at the current weight (or of copies in a
    /// shadow step, at any weight), then every interval.
    private static func isAnalysisDue(_ candidate: RolloutState.Candidate, rollout: Rollout?, now: Double) -> Bool {
        guard let analysis = rollout?.analysis, candidate.weight > 0 || candidate.shadow != nil, candidate.pauseReason == nil else { return false }
        let began = candidate.shadow?.startedAt ?? candidate.weightChangedAt ?? candidate.stepStartedAt
        let since = max(candidate.lastAnalysisAt ?? 0, began)
        return now - since >= analysis.interval.seconds
    }

    /// Records an analysis run and acts on its verdict (abort, pause, or go on). A closed
    /// `gate` holds the steps a successful run would pass; an abort always happens.
    public static func analyze(
        _ run: AnalysisRun,
        state input: RolloutState,
        deployment: ModelDeployment,
        observation: ModelObservation,
        now: Double,
        gate: WindowGate = .open
    ) -> Decision {
        judge(run, state: input, deployment: deployment, observation: observation, now: now, gate: gate).mentioningRouting(from: input)
    }

    private static func judge(
        _ run: AnalysisRun,
        state input: RolloutState,
        deployment: ModelDeployment,
        observation: ModelObservation,
        now: Double,
        gate windowGate: WindowGate
    ) -> Decision {
        var state = input
        guard var candidate = state.candidate, let analysis = deployment.rollout?.analysis else {
            return Decision(state: state, events: [], analysisDue: false)
        }
        var run = run
        if run.revision == nil { run.revision = candidate.target.revision }
        var events = [RolloutEvent(.analysis, run.headline, revision: candidate.target.revision)]
        state.lastAnalysis = run
        if let shadow = run.shadow { state.lastShadow = shadow }
        candidate.lastAnalysisAt = now
        switch run.verdict {
        case .successful, .skipped:
            candidate.consecutiveErrors = 0
        case .failed:
            candidate.failures += 1
            candidate.consecutiveErrors = 0
            if candidate.failures > analysis.failureLimit {
                state.candidate = candidate
                return abort(state, events: events, reason: .analysisFailed, outcome: .abortedByAnalysis, detail: run.summary, now: now)
            }
        case .error:
            candidate.consecutiveErrors += 1
            if candidate.consecutiveErrors > analysis.consecutiveErrorLimit {
                state.candidate = candidate
                return abort(state, events: events, reason: .analysisError, outcome: .abortedByAnalysisError, detail: run.summary, now: now)
            }
        case .inconclusive:
            candidate.inconclusives += 1
            candidate.consecutiveErrors = 0
            if candidate.inconclusives > analysis.inconclusiveLimit {
                candidate.awaitingPromotion = true
                candidate.pauseReason = "inconclusive analysis (\(run.summary)); `sluice promote` to go on or `sluice abort`"
                events.append(RolloutEvent(.paused, "paused on inconclusive analysis: \(run.summary)", revision: candidate.target.revision))
            }
        }
        state.candidate = candidate
        let gate = state.windowOverride?.covers(candidate.target.digest, at: now) == true ? .open : windowGate
        var decision = advance(state: state, events: [], deployment: deployment, observation: observation, now: now, gate: gate, previous: input)
        events += decision.events
        decision.events = events
        decision.analysisDue = false
        return decision
    }

    /// A person passed the current pause or approval (`full`: skip every remaining step).
    public static func promote(_ input: RolloutState, full: Bool, deployment: ModelDeployment, now: Double) -> (RolloutState, [RolloutEvent])? {
        var state = input
        guard var candidate = state.candidate else { return nil }
        let steps = deployment.rollout?.steps ?? []
        if full {
            candidate.step = max(steps.count, 1)
        } else if candidate.awaitingPromotion {
            if candidate.pauseReason == nil { candidate.step += 1 }
        } else if candidate.step < steps.count, case .pause = steps[candidate.step] {
            candidate.step += 1
        } else if candidate.step < steps.count, case .shadow = steps[candidate.step] {
            candidate.step += 1
        } else {
            return nil
        }
        // A shadow step left by a person stops mirroring (the next shadow step starts its own).
        if candidate.step != input.candidate?.step { candidate.shadow = nil }
        candidate.awaitingPromotion = false
        candidate.pauseReason = nil
        candidate.inconclusives = 0
        candidate.stepStartedAt = now
        state.candidate = candidate
        let event = RolloutEvent(.promoteRequested, full ? "promoted to the end by a person" : "step passed by a person", revision: candidate.target.revision)
        return (state, [event])
    }

    /// A person aborted the rollout.
    public static func abortByUser(_ input: RolloutState, now: Double) -> Decision? {
        guard input.candidate != nil else { return nil }
        return abort(input, events: [], reason: .aborted, outcome: .abortedByPerson, detail: "aborted by a person", now: now).mentioningRouting(from: input)
    }

    /// A monitor fired with `action: rollback`. During a rollout the candidate is aborted;
    /// otherwise traffic returns to the spec that was stable before the current one, which
    /// is then remembered as failed so the next pass does not redeploy it (git still
    /// declares it: revert it, fix forward, or `sluice retry`). Nil when there is nothing to
    /// return to.
    public static func rollbackByMonitor(_ input: RolloutState, monitor: String, detail: String, now: Double) -> Decision? {
        if input.candidate != nil {
            return abort(input, events: [], reason: .monitorFired, outcome: .abortedByMonitor, detail: "monitor \(monitor): \(detail)", now: now).mentioningRouting(from: input)
        }
        guard let current = input.stable, let previous = input.previousStable, previous.digest != current.digest else { return nil }
        var state = input
        if !state.failedDigests.contains(current.digest) { state.failedDigests.append(current.digest) }
        state.failedDigests = Array(state.failedDigests.suffix(20))
        state.stable = previous
        state.previousStable = nil
        state.lastAnalysis = nil
        state.lastShadow = nil
        remember(&state, previous.digest)
        state.health = .degraded
        state.reason = .monitorRollback
        state.message = "rolled back to \(previous.split) (revision \(short(previous.revision))) because monitor \(monitor) fired: \(detail); "
            + "git still declares \(short(current.revision)): revert it, fix forward, or run `sluice retry \(input.name)`"
        state.updatedAt = now
        state.lastRollout = RolloutOutcome(
            kind: .rolledBackByMonitor, at: now, revision: current.revision, split: current.split,
            message: "monitor \(monitor) fired: \(detail); traffic back to \(previous.split) (revision \(short(previous.revision)))")
        let event = RolloutEvent(
            .monitorRollback, "monitor \(monitor) fired (\(detail)); traffic back to \(previous.split)", revision: current.revision)
        return Decision(state: state, events: [event], analysisDue: false).mentioningRouting(from: input)
    }

    /// `sluice retry`: forget that the desired spec failed.
    public static func retry(_ input: RolloutState) -> (RolloutState, RolloutEvent)? {
        guard let digest = input.desiredDigest, input.failedDigests.contains(digest) else { return nil }
        var state = input
        state.failedDigests.removeAll { $0 == digest }
        state.message = "retrying \(short(input.desiredRevision ?? ""))"
        return (state, RolloutEvent(.retry, "the failed spec will be tried again", revision: input.desiredRevision))
    }

    private static func abort(
        _ input: RolloutState, events: [RolloutEvent], reason: RolloutState.Reason, outcome: RolloutOutcome.Kind, detail: String, now: Double
    ) -> Decision {
        var state = input
        var events = events
        guard let candidate = state.candidate else { return Decision(state: state, events: events, analysisDue: false) }
        state.candidate = nil
        if !state.failedDigests.contains(candidate.target.digest) { state.failedDigests.append(candidate.target.digest) }
        state.failedDigests = Array(state.failedDigests.suffix(20))
        state.health = .degraded
        state.reason = reason
        state.message = "rolled back to stable \(state.stable?.split ?? ""): \(detail)"
        state.updatedAt = now
        let judged = [.abortedByAnalysis, .abortedByAnalysisError].contains(outcome)
        state.lastRollout = RolloutOutcome(
            kind: outcome, at: now, revision: candidate.target.revision, split: candidate.target.split, message: detail,
            failedChecks: judged ? RolloutOutcome.failedChecks(of: state.lastAnalysis) : [])
        events.append(RolloutEvent(.aborted, "\(reason): \(detail); 100% back to stable", revision: candidate.target.revision))
        return Decision(state: state, events: events, analysisDue: false)
    }

    private static func promote(_ input: RolloutState, events: [RolloutEvent], now: Double) -> Decision {
        var state = input
        var events = events
        guard let candidate = state.candidate else { return Decision(state: state, events: events, analysisDue: false) }
        makeStable(&state, candidate.target)
        state.candidate = nil
        state.health = .healthy
        state.reason = .promoted
        state.message = "promoted: \(candidate.target.split)"
        state.updatedAt = now
        state.lastRollout = RolloutOutcome(
            kind: .promoted, at: now, revision: candidate.target.revision, split: candidate.target.split,
            message: "\(candidate.target.split) is stable")
        events.append(RolloutEvent(.promoted, "\(candidate.target.split) is stable", revision: candidate.target.revision))
        return Decision(state: state, events: events, analysisDue: false)
    }

    /// Marks a model whose route is in place: healthy once every weighted version is ready.
    private static func settle(_ state: inout RolloutState, observation: ModelObservation, stable: ServingSet) {
        let weighted = stable.versions.filter { (stable.weights[$0.name] ?? 0) > 0 }.map(\.name)
        let ready = weighted.allSatisfy(observation.readyVersions.contains)
        if state.health == .degraded && state.failedDigests.last == state.desiredDigest { return }
        state.health = ready ? .healthy : .progressing
        if ready, [.deployed, .updated, .fastRollback, .promoted, .new].contains(state.reason) {
            state.message = "\(stable.split)"
        } else if !ready {
            state.reason = .waitingForReadiness
            state.message = "waiting for \(weighted.filter { !observation.readyVersions.contains($0) }.joined(separator: ", ")) to become ready"
        } else {
            state.reason = .synced
            state.message = stable.split
        }
    }

    /// `target` becomes stable; the one it replaces is kept for a monitor's rollback.
    private static func makeStable(_ state: inout RolloutState, _ target: ServingSet) {
        state.previousStable = state.stable
        state.stable = target
        remember(&state, target.digest)
    }

    private static func remember(_ state: inout RolloutState, _ digest: String) {
        state.stableHistory.removeAll { $0 == digest }
        state.stableHistory.append(digest)
        state.stableHistory = Array(state.stableHistory.suffix(20))
    }

    /// Whether `target` gives traffic to a version that does not already serve the same
    /// artifact in `stable` (that is what needs a canary).
    static func movesTrafficToNewVersions(from stable: ServingSet, to target: ServingSet) -> Bool {
        let before = Dictionary(stable.versions.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        return target.versions.contains { version in
            // New or replaced (same name, new artifact): any traffic at all is new traffic.
            let serving = before[version.name] == version && (stable.weights[version.name] ?? 0) > 0
            let servedBefore = before[version.name] == version ? (stable.weights[version.name] ?? 0) : 0
            return !serving && (target.weights[version.name] ?? 0) > servedBefore
        }
    }

    /// The route for the data plane: stable, or the interpolation from stable to the
    /// candidate's target at the candidate's weight (every version of both kept running,
    /// so an abort is an immediate flip).
    public static func route(for state: RolloutState) -> ModelRoute? {
        guard let stable = state.stable else { return nil }
        guard let candidate = state.candidate else {
            var route = ModelRoute(versions: stable.versions, weights: stable.weights, stickyHeader: stable.stickyHeader, mirror: stable.mirror)
            route.scaling = replicaBounds(stable: stable, candidate: nil, route: route)
            return route
        }
        let target = candidate.target
        // Target versions under their data-plane names: a version that keeps its name with a
        // new artifact runs beside the stable one as `NAME~canary` until promotion.
        var versions = stable.versions
        var targetWeights: [String: Int] = [:]
        for version in target.versions {
            let name = dataPlaneName(of: version, stable: stable)
            targetWeights[name] = target.weights[version.name] ?? 0
            if let index = versions.firstIndex(where: { $0.name == name }) {
                versions[index] = version
            } else {
                var renamed = version
                renamed.name = name
                versions.append(renamed)
            }
        }
        let share = Double(candidate.weight) / 100
        var exact: [(String, Double)] = versions.map { version in
            let from = Double(stable.weights[version.name] ?? 0)
            let to = Double(targetWeights[version.name] ?? 0)
            return (version.name, from * (1 - share) + to * share)
        }
        // Largest remainder, so the integers sum to 100.
        var weights = Dictionary(uniqueKeysWithValues: exact.map { ($0.0, Int($0.1.rounded(.down))) })
        var left = 100 - weights.values.reduce(0, +)
        exact.sort { ($0.1 - $0.1.rounded(.down)) > ($1.1 - $1.1.rounded(.down)) }
        for (name, _) in exact where left > 0 {
            weights[name, default: 0] += 1
            left -= 1
        }
        // The mirror goes to the version the manifest names as it runs now (`NAME~canary`).
        var mirror = target.mirror
        if let mirrored = mirror, let version = target.versions.first(where: { $0.name == mirrored.version }) {
            mirror?.version = dataPlaneName(of: version, stable: stable)
        }
        // A shadow step mirrors to the candidate with pairing, in place of the manifest's mirror.
        var pairing: Route.Mirror.Pairing?
        if let shadow = candidate.shadow {
            mirror = Mirror(version: candidateVersion(target, stable: stable), percent: shadow.percent)
            pairing = Route.Mirror.Pairing(tolerances: shadow.tolerances)
        }
        var route = ModelRoute(versions: versions, weights: weights, stickyHeader: target.stickyHeader, mirror: mirror)
        route.mirrorPairing = pairing
        route.scaling = replicaBounds(stable: stable, candidate: target, route: route)
        return route
    }

    /// The data-plane name of the version a rollout is about: the target's version with the
    /// most traffic among those new or replaced (its primary when none is), as analysis
    /// measures it and a shadow step mirrors to it.
    public static func candidateVersion(_ target: ServingSet, stable: ServingSet) -> String {
        let old = Dictionary(stable.versions.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let fresh = target.versions.filter { old[$0.name] != $0 }
        guard let best = fresh.max(by: { (target.weights[$0.name] ?? 0) < (target.weights[$1.name] ?? 0) }) else { return target.primary }
        return dataPlaneName(of: best, stable: stable)
    }

    /// The name a target version runs under during a rollout: its own, unless the stable
    /// split serves a different artifact under that name; then `NAME~canary` (`~` cannot
    /// appear in a manifest's version names, so it never collides).
    public static func dataPlaneName(of version: ServingSet.Version, stable: ServingSet) -> String {
        guard let current = stable.versions.first(where: { $0.name == version.name }), current != version else { return version.name }
        return "\(version.name)~canary"
    }

    static func short(_ revision: String) -> String { String(revision.prefix(7)) }
}
