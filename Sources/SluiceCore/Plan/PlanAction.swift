/// What the controller will do to one model to reach the desired state (DESIGN §3).
public enum PlanAction: Sendable, Hashable {
    /// A model new to the repository goes straight to its traffic split. Rollout steps are
    /// skipped, as Argo Rollouts skips them on a first deploy: there is no stable to compare with.
    case deploy
    /// Traffic moves to a new or changed version through the model's rollout steps and analysis.
    case canary(Canary)
    /// Traffic or versions change and the model has no rollout: applied at once.
    case switchTraffic
    /// The new spec is one of the model's recent specs (a `git revert`): applied at once, with
    /// no steps and no analysis.
    case fastRollback(FastRollback)
    /// Traffic moves only to versions that already serve live traffic with the same artifact:
    /// applied at once, with no steps, as `promote --full` does.
    case promote(Promotion)
    /// Something changes that moves no traffic (monitors, rollout or analysis settings, routing,
    /// labels, versions without traffic): applied at once.
    case update
    /// The model was removed from git: its versions stop and its endpoint goes away.
    case prune
    /// Nothing to do.
    case noChange
    /// The manifest is invalid at the target revision: the model keeps its last good state.
    case blocked(reason: String)
    /// The model was removed from git but is not pruned, for the reason given.
    case kept(reason: String)

    /// The action's kind, without details.
    public var kind: Kind {
        switch self {
        case .deploy: return .deploy
        case .canary: return .canary
        case .switchTraffic: return .switchTraffic
        case .fastRollback: return .fastRollback
        case .promote: return .promote
        case .update: return .update
        case .prune: return .prune
        case .noChange: return .noChange
        case .blocked: return .blocked
        case .kept: return .kept
        }
    }

    /// Whether the controller changes anything when it takes the action.
    public var changesSomething: Bool {
        switch kind {
        case .deploy, .canary, .switchTraffic, .fastRollback, .promote, .update, .prune: return true
        case .noChange, .blocked, .kept: return false
        }
    }

    /// The kinds of action, in the order summaries list them; the raw values are the names in
    /// JSON output.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// ``PlanAction/deploy``.
        case deploy
        /// ``PlanAction/canary(_:)``.
        case canary
        /// ``PlanAction/switchTraffic``, named `switch` in output.
        case switchTraffic = "switch"
        /// ``PlanAction/fastRollback(_:)``.
        case fastRollback
        /// ``PlanAction/promote(_:)``.
        case promote
        /// ``PlanAction/update``.
        case update
        /// ``PlanAction/prune``.
        case prune
        /// ``PlanAction/blocked(reason:)``.
        case blocked
        /// ``PlanAction/kept(reason:)``.
        case kept
        /// ``PlanAction/noChange``, named `none` in output.
        case noChange = "none"
    }

    /// How a canary will run: the candidate, the steps and what the analysis costs in time.
    public struct Canary: Sendable, Hashable {
        /// The version the steps move traffic to.
        public var candidate: String
        /// The version serving most traffic before, which keeps full capacity during the canary.
        public var stable: String?
        /// Whether the candidate keeps its name and replaces the artifact (or runtime) of a
        /// version that serves now.
        public var replacesInPlace: Bool
        /// The candidate's weight once promoted (its weight in the target split).
        public var targetWeight: Int
        /// Other versions that gain traffic with new artifacts; the steps name only the candidate.
        public var otherNewVersions: [String]
        /// The rollout steps, in order.
        public var steps: [RolloutStep]
        /// The number of analysis checks (0 without analysis).
        public var analysisChecks: Int
        /// The analysis checks, in manifest order (empty without analysis).
        public var checks: [AnalysisCheck]
        /// Time between measurements, when there is analysis.
        public var analysisInterval: Duration?
        /// Failed measurements tolerated, when there is analysis.
        public var failureLimit: Int?
        /// The least time before promotion: the sum of the pauses and shadow steps.
        public var minimumTimeToPromote: Duration
        /// Manual approvals the steps wait for.
        public var approvals: Int
        /// The longest a failing candidate keeps traffic: interval × (failureLimit + 1); nil
        /// without analysis, when nothing aborts automatically.
        public var worstCaseTimeToAbort: Duration?
        /// What an abort does besides returning traffic.
        public var onAbort: AbortPolicy
        /// Time allowed for the candidate to become ready.
        public var progressDeadline: Duration

        /// Creates a canary description from the target rollout.
        public init(
            candidate: String, stable: String?, replacesInPlace: Bool = false, targetWeight: Int,
            otherNewVersions: [String] = [], rollout: Rollout
        ) {
            self.candidate = candidate
            self.stable = stable
            self.replacesInPlace = replacesInPlace
            self.targetWeight = targetWeight
            self.otherNewVersions = otherNewVersions
            self.steps = rollout.steps
            self.analysisChecks = rollout.analysis?.checks.count ?? 0
            self.checks = rollout.analysis?.checks ?? []
            self.analysisInterval = rollout.analysis?.interval
            self.failureLimit = rollout.analysis?.failureLimit
            var pauses: Int64 = 0
            var approvals = 0
            for step in rollout.steps {
                switch step {
                case .pause(let duration): pauses += duration.milliseconds
                case .approval: approvals += 1
                case .shadow(let shadow): pauses += shadow.duration.milliseconds
                case .weight: break
                }
            }
            self.minimumTimeToPromote = Duration(milliseconds: pauses)
            self.approvals = approvals
            self.worstCaseTimeToAbort = rollout.analysis.map {
                Duration(milliseconds: $0.interval.milliseconds * Int64($0.failureLimit + 1))
            }
            self.onAbort = rollout.onAbort
            self.progressDeadline = rollout.progressDeadline
        }

        /// The number of steps.
        public var stepCount: Int { steps.count }

        /// The number of shadow steps.
        public var shadowStepCount: Int {
            steps.count { if case .shadow = $0 { true } else { false } }
        }

        /// The number of pause steps.
        public var pauseCount: Int {
            steps.count { if case .pause = $0 { true } else { false } }
        }

        /// The checks judged during shadow steps (empty without shadow steps).
        public var shadowChecks: [AnalysisCheck] {
            shadowStepCount == 0 ? [] : checks.filter { $0.metric.isJudgedDuringShadowSteps }
        }

        /// The checks judged during the other steps, on the traffic the candidate serves.
        public var weightChecks: [AnalysisCheck] { checks.filter { $0.metric.isJudgedDuringWeightSteps } }

        /// The steps in one line, ending with the target: `10% → pause 5m → 50% → approval → 100%`.
        public var stepSummary: String {
            (steps.map(\.summary) + ["\(targetWeight)%"]).joined(separator: " → ")
        }
    }

    /// A return to a recent spec.
    public struct FastRollback: Sendable, Hashable {
        /// The version that serves most traffic afterwards.
        public var version: String
        /// The spec digest returned to.
        public var digest: String
        /// How far back that spec is among the model's distinct earlier specs (1 = the one
        /// before the current).
        public var specsAgo: Int
        /// The rollback window in force.
        public var window: Int

        /// Creates a fast-rollback description.
        public init(version: String, digest: String, specsAgo: Int, window: Int) {
            self.version = version
            self.digest = digest
            self.specsAgo = specsAgo
            self.window = window
        }
    }

    /// Traffic raised on a version that already serves.
    public struct Promotion: Sendable, Hashable {
        /// The version that gains the most.
        public var version: String
        /// Its weight before.
        public var fromWeight: Int
        /// Its weight after.
        public var toWeight: Int

        /// Creates a promotion description.
        public init(version: String, fromWeight: Int, toWeight: Int) {
            self.version = version
            self.fromWeight = fromWeight
            self.toWeight = toWeight
        }
    }
}

extension RolloutStep {
    /// The step in a few words: `10%`, `pause 5m`, `approval`, `shadow 100% for 10m`.
    public var summary: String {
        switch self {
        case .weight(let weight): return "\(weight)%"
        case .pause(let duration): return "pause \(duration)"
        case .approval: return "approval"
        case .shadow(let shadow): return "shadow \(shadow.percent)% for \(shadow.duration)"
        }
    }
}
