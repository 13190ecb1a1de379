import SluiceCore
import Testing

/// The planner's change kinds and actions (DESIGN §3).
@Suite(.timeLimit(.minutes(10))) struct PlannerTests {
    typealias F = PlanFixtures

    static let stable = F.fraud()
    static let canaryTarget = F.fraud(versions: F.v21v22, traffic: "{v2.1: 0, v2.2: 100}")

    func plan(
        _ from: [(String, String)]?, _ to: [(String, String)], history: [String: [String]] = [:], allowEmpty: Bool = false
    ) -> Plan {
        Planner(history: history, allowEmpty: allowEmpty).plan(from: from.map { F.state("base", $0) }, to: F.state("head", to))
    }

    // MARK: - Kinds

    @Test func firstDeploymentGoesStraightToItsTraffic() throws {
        let plan = plan(nil, [("fraud.yaml", Self.canaryTarget), ("iris.yaml", F.iris())])
        #expect(plan.fromRevision == nil)
        #expect(plan.changes.map(\.kind) == [.added, .added])
        #expect(plan.changes.map(\.action) == [.deploy, .deploy])
        let fraud = try #require(plan.change(named: "fraud-detector"))
        #expect(fraud.notes.contains { $0.contains("skipped on a first deployment") })
        #expect(fraud.differences.contains(FieldChange(.added, "traffic.v2.2", new: "100")))
        #expect(fraud.differences.contains(FieldChange(.added, "versions.v2.2", new: "artifact models/fraud-v2.2.json")))
        #expect(try fraud.toDigest == F.deployment(Self.canaryTarget).specDigest)
        #expect(plan.count(.deploy) == 2)
        #expect(plan.hasChanges)
    }

    @Test func unchangedWhenOnlyFormattingDiffers() throws {
        let reformatted = "# comment\n" + F.iris().replacingOccurrences("runtime: python-v2", with: "runtime: 'python-v2'")
        let plan = plan([("iris.yaml", F.iris())], [("iris.yaml", reformatted)])
        let iris = try #require(plan.change(named: "iris-classifier"))
        #expect(iris.kind == .unchanged)
        #expect(iris.action == .noChange)
        #expect(!plan.hasChanges)
        #expect(plan.visibleChanges.isEmpty)
        #expect(plan.summary == "Plan: no changes (1 unchanged).")
    }

    @Test func removedModelIsPruned() throws {
        let plan = plan([("iris.yaml", F.iris()), ("fraud.yaml", Self.stable)], [("fraud.yaml", Self.stable)])
        let iris = try #require(plan.change(named: "iris-classifier"))
        #expect(iris.kind == .removed)
        #expect(iris.action == .prune)
        #expect(iris.path == "iris.yaml")
        #expect(iris.differences.contains(FieldChange(.removed, "versions.v1", old: "artifact models/iris-v1.json")))
        #expect(plan.summary == "Plan: 1 to prune (1 unchanged).")
    }

    // MARK: - Traffic actions

    @Test func canaryShowsStepsAndTimes() throws {
        let plan = plan([("fraud.yaml", Self.stable)], [("fraud.yaml", Self.canaryTarget)])
        let fraud = try #require(plan.change(named: "fraud-detector"))
        #expect(fraud.kind == .changed)
        guard case .canary(let canary) = fraud.action else {
            Issue.record("expected a canary, got \(fraud.action)")
            return
        }
        #expect(canary.candidate == "v2.2")
        #expect(canary.stable == "v2.1")
        #expect(canary.targetWeight == 100)
        #expect(canary.stepCount == 4)
        #expect(canary.stepSummary == "10% → pause 5m → 50% → approval → 100%")
        #expect(canary.analysisChecks == 4)
        #expect(canary.minimumTimeToPromote == .seconds(300))
        #expect(canary.approvals == 1)
        #expect(canary.worstCaseTimeToAbort == .seconds(60))  // 30s × (failureLimit 1 + 1)
        #expect(canary.onAbort == .revert)
        #expect(!canary.replacesInPlace)
        #expect(
            fraud.differences == [
                FieldChange(.added, "versions.v2.2", new: "artifact models/fraud-v2.2.json"),
                FieldChange(.changed, "traffic.v2.1", old: "100", new: "0"),
                FieldChange(.changed, "traffic.v2.2", old: "0", new: "100"),
            ])
        #expect(plan.summary == "Plan: 1 to canary.")
    }

    @Test func canaryWithoutAnalysisHasNoAbortTime() throws {
        let rollout = "  rollout:\n    steps:\n      - weight: 20\n      - pause: 1m\n      - pause: 30s\n"
        let from = F.fraud(rollout: rollout)
        let to = F.fraud(versions: F.v21v22, traffic: "{v2.1: 0, v2.2: 100}", rollout: rollout)
        let change = try #require(plan([("f.yaml", from)], [("f.yaml", to)]).change(named: "fraud-detector"))
        guard case .canary(let canary) = change.action else {
            Issue.record("expected a canary, got \(change.action)")
            return
        }
        #expect(canary.worstCaseTimeToAbort == nil)
        #expect(canary.analysisChecks == 0)
        #expect(canary.minimumTimeToPromote == .seconds(90))
        #expect(canary.approvals == 0)
    }

    /// A new artifact under the same version name is a canary of that version against itself.
    @Test func artifactReplacedInPlaceIsACanary() throws {
        let to = F.fraud(versions: F.v21.replacingOccurrences("fraud-v2.1.json", with: "fraud-v2.1-retrained.json"))
        let change = try #require(plan([("f.yaml", Self.stable)], [("f.yaml", to)]).change(named: "fraud-detector"))
        guard case .canary(let canary) = change.action else {
            Issue.record("expected a canary, got \(change.action)")
            return
        }
        #expect(canary.candidate == "v2.1")
        #expect(canary.replacesInPlace)
        #expect(
            change.differences == [
                FieldChange(.changed, "versions.v2.1.artifact", old: "models/fraud-v2.1.json", new: "models/fraud-v2.1-retrained.json")
            ])
    }

    @Test func withoutRolloutTrafficSwitchesAtOnce() throws {
        let from = F.fraud(rollout: "")
        let to = F.fraud(versions: F.v21v22, traffic: "{v2.1: 0, v2.2: 100}", rollout: "")
        let plan = plan([("f.yaml", from), ("iris.yaml", F.iris())], [("f.yaml", to), ("iris.yaml", F.iris(artifact: "models/iris-v2.json"))])
        #expect(plan.change(named: "fraud-detector")?.action == .switchTraffic)
        #expect(plan.change(named: "iris-classifier")?.action == .switchTraffic)
        #expect(plan.summary == "Plan: 2 to switch.")
    }

    @Test func runtimeChangeOfAServingVersionIsACanary() throws {
        let change = try #require(
            plan([("f.yaml", Self.stable)], [("f.yaml", F.fraud(runtime: "python-v3"))]).change(named: "fraud-detector"))
        #expect(change.differences == [FieldChange(.changed, "runtime", old: "python-v2", new: "python-v3")])
        guard case .canary(let canary) = change.action else {
            Issue.record("expected a canary, got \(change.action)")
            return
        }
        #expect(canary.candidate == "v2.1" && canary.replacesInPlace)
    }

    @Test func raisingAServingVersionIsAPromotion() throws {
        let from = F.fraud(versions: F.v21v22, traffic: "{v2.1: 50, v2.2: 50}")
        let to = F.fraud(versions: F.v21v22, traffic: "{v2.1: 0, v2.2: 100}")
        let change = try #require(plan([("f.yaml", from)], [("f.yaml", to)]).change(named: "fraud-detector"))
        #expect(change.action == .promote(PlanAction.Promotion(version: "v2.2", fromWeight: 50, toWeight: 100)))
    }

    /// Going back to a recent spec skips steps and analysis.
    @Test func revertToRecentSpecIsAFastRollback() throws {
        let stableDigest = try F.deployment(Self.stable).specDigest
        let canaryDigest = try F.deployment(Self.canaryTarget).specDigest
        // The git layer lists the model's specs at earlier revisions, newest first.
        let history = ["fraud-detector": [canaryDigest, canaryDigest, stableDigest]]
        let plan = plan([("f.yaml", Self.canaryTarget)], [("f.yaml", Self.stable)], history: history)
        let change = try #require(plan.change(named: "fraud-detector"))
        #expect(
            change.action
                == .fastRollback(PlanAction.FastRollback(version: "v2.1", digest: stableDigest, specsAgo: 1, window: 5)))
        #expect(change.differences.contains(FieldChange(.changed, "traffic.v2.1", old: "0", new: "100")))
        #expect(plan.summary == "Plan: 1 to roll back.")
    }

    /// The window counts distinct earlier specs; a spec further back is a normal change.
    @Test func fastRollbackIsLimitedByTheRollbackWindow() throws {
        func variant(_ artifact: String, window: Int) -> String {
            F.fraud(
                versions: F.v21v22.replacingOccurrences("fraud-v2.2.json", with: artifact), traffic: "{v2.1: 0, v2.2: 100}",
                rollout: F.rollout + "    rollbackWindow: \(window)\n")
        }
        let old = F.fraud(rollout: F.rollout + "    rollbackWindow: 2\n")
        let history = [
            "fraud-detector": [
                try F.deployment(variant("a.json", window: 2)).specDigest,
                try F.deployment(variant("b.json", window: 2)).specDigest,
                try F.deployment(old).specDigest,
            ]
        ]
        // Two specs back: within a window of 2.
        let inside = plan([("f.yaml", variant("a.json", window: 2))], [("f.yaml", variant("b.json", window: 2))], history: history)
        guard case .fastRollback(let rollback)? = inside.change(named: "fraud-detector")?.action else {
            Issue.record("expected a fast rollback, got \(String(describing: inside.change(named: "fraud-detector")?.action))")
            return
        }
        #expect(rollback.specsAgo == 1 && rollback.window == 2)
        // The old spec is the third distinct earlier one: outside a window of 2.
        let current = F.fraud(
            versions: F.v21v22.replacingOccurrences("fraud-v2.2.json", with: "c.json"), traffic: "{v2.1: 0, v2.2: 100}",
            rollout: F.rollout + "    rollbackWindow: 2\n")
        let longer = ["fraud-detector": try #require(history["fraud-detector"])]
        let outside = plan([("f.yaml", current)], [("f.yaml", old)], history: longer)
        guard case .canary(let canary)? = outside.change(named: "fraud-detector")?.action else {
            Issue.record("expected a canary, got \(String(describing: outside.change(named: "fraud-detector")?.action))")
            return
        }
        #expect(canary.candidate == "v2.1")
        // The same return with a window of 3 is fast.
        let wide = old.replacingOccurrences("rollbackWindow: 2", with: "rollbackWindow: 3")
        let wideDigest = try F.deployment(wide).specDigest
        let wideHistory = ["fraud-detector": Array(try #require(history["fraud-detector"]).dropLast()) + [wideDigest]]
        let fast = plan([("f.yaml", current)], [("f.yaml", wide)], history: wideHistory)
        #expect(fast.change(named: "fraud-detector")?.action.kind == .fastRollback)
        // A window of 0 turns the fast path off.
        let off = old.replacingOccurrences("rollbackWindow: 2", with: "rollbackWindow: 0")
        let offPlan = plan(
            [("f.yaml", current)], [("f.yaml", off)], history: ["fraud-detector": [try F.deployment(off).specDigest]])
        #expect(offPlan.change(named: "fraud-detector")?.action.kind == .canary)
    }

    // MARK: - Updates

    @Test func changesThatMoveNoTrafficAreUpdates() throws {
        let monitors = F.monitors.replacingOccurrences("max: 0.05", with: "max: 0.02")
        let thresholds = F.rollout.replacingOccurrences("max: 0.01", with: "max: 0.005")
        let staged = F.fraud(versions: F.v21v22)  // v2.2 declared with no traffic
        let plan = plan(
            [("a.yaml", Self.stable), ("b.yaml", Self.stable.replacingOccurrences("fraud-detector", with: "b")),
             ("c.yaml", Self.stable.replacingOccurrences("fraud-detector", with: "c")),
             ("d.yaml", Self.stable.replacingOccurrences("fraud-detector", with: "d"))],
            [("a.yaml", F.fraud(monitors: monitors)),
             ("b.yaml", F.fraud(labels: "{team: fraud}").replacingOccurrences("fraud-detector", with: "b")),
             ("c.yaml", F.fraud(rollout: thresholds).replacingOccurrences("fraud-detector", with: "c")),
             ("d.yaml", staged.replacingOccurrences("fraud-detector", with: "d"))])
        #expect(plan.changes.map(\.action) == [.update, .update, .update, .update])
        #expect(plan.changes.map(\.kind) == [.changed, .changed, .changed, .changed])
        #expect(
            plan.change(named: "fraud-detector")?.differences == [FieldChange(.changed, "monitors.errors.max", old: "0.05", new: "0.02")])
        let labels = try #require(plan.change(named: "b"))
        #expect(labels.differences == [FieldChange(.changed, "labels.team", old: "risk", new: "fraud")])
        #expect(labels.fromDigest == labels.toDigest)
        #expect(
            plan.change(named: "c")?.differences == [
                FieldChange(.removed, "rollout.analysis.checks", old: "error_rate max 0.01"),
                FieldChange(.added, "rollout.analysis.checks", new: "error_rate max 0.005"),
            ])
        #expect(plan.change(named: "d")?.differences == [FieldChange(.added, "versions.v2.2", new: "artifact models/fraud-v2.2.json")])
        #expect(plan.summary == "Plan: 4 to update.")
    }

    @Test func rolloutAndMonitorEditsAreListedFieldByField() throws {
        let rollout = F.rollout.replacingOccurrences("interval: 30s", with: "interval: 1m")
            .replacingOccurrences("- pause: 5m", with: "- pause: 10m")
            .replacingOccurrences("onAbort: revert", with: "onAbort: rollback")
        let monitors = F.monitors + "    - {name: latency, metric: latency_p99_ms, max: 200}\n"
        let change = try #require(
            plan([("f.yaml", Self.stable)], [("f.yaml", F.fraud(rollout: rollout, monitors: monitors))]).change(named: "fraud-detector"))
        #expect(
            change.differences.map(\.summary) == [
                "rollout.steps: [10%, pause 5m, 50%, approval] → [10%, pause 10m, 50%, approval]",
                "rollout.analysis.interval: 30s → 1m",
                "rollout.onAbort: revert → rollback",
                "monitors.latency: latency_p99_ms max 200 over 1h: alert (warning)",
            ])
        #expect(change.action == .update)
    }

    // MARK: - Guards

    @Test func emptyDesiredStateRefusesToPrune() throws {
        let from = [("fraud.yaml", Self.stable), ("iris.yaml", F.iris())]
        let refused = plan(from, [])
        #expect(refused.refusal?.contains("declares no models") == true)
        #expect(refused.changes.map(\.kind) == [.removed, .removed])
        #expect(refused.changes.allSatisfy { $0.action.kind == .kept })
        #expect(refused.count(.prune) == 0)
        #expect(!refused.hasChanges)
        #expect(refused.summary == "Plan: 2 not pruned.")

        let allowed = plan(from, [], allowEmpty: true)
        #expect(allowed.refusal == nil)
        #expect(allowed.changes.map(\.action) == [.prune, .prune])
        #expect(allowed.summary == "Plan: 2 to prune.")
    }

    @Test func invalidModelIsBlockedWhileOthersPlan() throws {
        let broken = Self.canaryTarget.replacingOccurrences("runtime: python-v2", with: "runtime: python-v2\n  replicas: 3")
        let plan = plan(
            [("fraud.yaml", Self.stable), ("iris.yaml", F.iris())],
            [("fraud.yaml", broken), ("iris.yaml", F.iris(artifact: "models/iris-v2.json")), ("new.yaml", F.iris(name: "new-model"))])
        let fraud = try #require(plan.change(named: "fraud-detector"))
        #expect(fraud.kind == .invalid)
        guard case .blocked(let reason) = fraud.action else {
            Issue.record("expected blocked, got \(fraud.action)")
            return
        }
        #expect(reason.contains("keeps its last good state (as at base)"))
        #expect(fraud.diagnostics.map(\.code) == [.unknownField])
        #expect(fraud.diagnostics.first?.location == SourceLocation(line: 8, column: 3))
        #expect(plan.change(named: "iris-classifier")?.action == .switchTraffic)
        #expect(plan.change(named: "new-model")?.action == .deploy)
        #expect(plan.toHasErrors)
        #expect(plan.hasChanges)
        #expect(plan.summary == "Plan: 1 to deploy, 1 to switch, 1 blocked.")
    }

    /// A file that cannot be read whole may still declare its models: they are blocked, not
    /// pruned, and no other removal is pruned either while it may have moved there.
    @Test func unreadableFileBlocksItsModelsAndHoldsPrunes() throws {
        let plan = plan(
            [("fraud.yaml", Self.stable), ("iris.yaml", F.iris())],
            [("fraud.yaml", "apiVersion: sluice/v1\nkind: [unclosed\n")])
        let fraud = try #require(plan.change(named: "fraud-detector"))
        #expect(fraud.kind == .invalid)
        #expect(fraud.action.kind == .blocked)
        #expect(fraud.diagnostics.first?.code == .syntax)
        let iris = try #require(plan.change(named: "iris-classifier"))
        #expect(iris.kind == .removed)
        guard case .kept(let reason) = iris.action else {
            Issue.record("expected kept, got \(iris.action)")
            return
        }
        #expect(reason.contains("fraud.yaml cannot be read"))
        #expect(plan.refusal == nil)
        #expect(!plan.hasChanges)
    }

    @Test func invalidNewModelIsNotDeployed() throws {
        let broken = F.iris(name: "fresh").replacingOccurrences("runtime: python-v2", with: "runtime: 7")
        let plan = plan(nil, [("fresh.yaml", broken)])
        guard case .blocked(let reason)? = plan.change(named: "fresh")?.action else {
            Issue.record("expected blocked")
            return
        }
        #expect(reason.contains("not deployed until it is valid"))
    }

    @Test func movedFileIsNotAChange() throws {
        let plan = plan([("old/iris.yaml", F.iris())], [("new/iris.yaml", F.iris())])
        let iris = try #require(plan.change(named: "iris-classifier"))
        #expect(iris.kind == .unchanged)
        #expect(iris.path == "new/iris.yaml")
        #expect(iris.previousPath == "old/iris.yaml")
    }
}
