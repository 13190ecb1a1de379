extension PlanRenderer {
    /// The JSON document `sluice plan --format json` prints. Keys keep a fixed order and
    /// optional values are `null` rather than absent, so tools can rely on the shape; every
    /// model read is listed, unchanged ones included (`unchangedNotListed` counts the models of
    /// files an incremental plan did not need to read).
    public func renderJSON(_ plan: Plan) -> JSONValue {
        var diagnostics = plan.toDiagnostics.map { Self.json($0, revision: plan.toRevision) }
        if let base = plan.fromRevision { diagnostics += plan.fromDiagnostics.map { Self.json($0, revision: base) } }
        return .object([
            ("from", plan.fromRevision.map(JSONValue.string) ?? .null),
            ("to", .string(plan.toRevision)),
            ("hasChanges", .bool(plan.hasChanges)),
            ("toHasErrors", .bool(plan.toHasErrors)),
            ("refusal", plan.refusal.map(JSONValue.string) ?? .null),
            ("summary", .string(plan.summary)),
            ("counts", .object(PlanAction.Kind.allCases.map { ($0.rawValue, .int(plan.count($0))) })),
            ("models", .array(plan.changes.map { Self.json($0, revision: plan.toRevision) })),
            ("unchangedNotListed", .int(plan.unchangedElsewhere)),
            ("diagnostics", .array(diagnostics)),
            ("subject", plan.subject.map { Self.json($0, plan: plan) } ?? .null),
            ("notes", .array(plan.notes.map(JSONValue.string))),
            ("commits", .array(plan.commits.map { commit in
                .object([
                    ("commit", .string(commit.commit)), ("summary", .string(commit.summary)),
                    ("signature", .string(commit.signature.rawValue)), ("detail", .string(commit.detail)),
                ])
            })),
        ])
    }

    /// What was compared: `target` is `commit` or `workingTree`, `base` is `firstParent`,
    /// `reference`, `head` or `nothing`, with the references given and the header's words.
    static func json(_ subject: PlanSubject, plan: Plan) -> JSONValue {
        let targetReference: JSONValue
        if case .commit(let reference) = subject.target { targetReference = .string(reference) } else { targetReference = .null }
        let baseReference: JSONValue
        if case .reference(let reference) = subject.base { baseReference = .string(reference) } else { baseReference = .null }
        return .object([
            ("target", .string(subject.targetKind)),
            ("targetReference", targetReference),
            ("base", .string(subject.baseKind)),
            ("baseReference", baseReference),
            ("description", .string(subject.describe(from: plan.fromRevision, to: plan.toRevision))),
        ])
    }

    /// A model's change; its diagnostics belong to `revision`, the target.
    static func json(_ change: ModelChange, revision: String) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("name", .string(change.name)),
            ("change", .string(change.kind.rawValue)),
            ("action", .string(change.action.kind.rawValue)),
            ("summary", .string(actionLines(change).joined(separator: "; "))),
            ("path", change.path.map(JSONValue.string) ?? .null),
            ("previousPath", change.previousPath.map(JSONValue.string) ?? .null),
            ("fromDigest", change.fromDigest.map(JSONValue.string) ?? .null),
            ("toDigest", change.toDigest.map(JSONValue.string) ?? .null),
        ]
        switch change.action {
        case .canary(let canary): members.append(("canary", json(canary)))
        case .fastRollback(let rollback):
            members.append((
                "fastRollback",
                .object([
                    ("version", .string(rollback.version)), ("digest", .string(rollback.digest)),
                    ("specsAgo", .int(rollback.specsAgo)), ("window", .int(rollback.window)),
                ])
            ))
        case .promote(let promotion):
            members.append((
                "promotion",
                .object([
                    ("version", .string(promotion.version)), ("fromWeight", .int(promotion.fromWeight)),
                    ("toWeight", .int(promotion.toWeight)),
                ])
            ))
        case .blocked(let reason), .kept(let reason): members.append(("reason", .string(reason)))
        case .deploy, .switchTraffic, .update, .prune, .noChange: break
        }
        members += [
            ("differences", .array(change.differences.map(json))),
            ("notes", .array(change.notes.map(JSONValue.string))),
            ("diagnostics", .array(change.diagnostics.map { json($0, revision: revision) })),
        ]
        return .object(members)
    }

    static func json(_ canary: PlanAction.Canary) -> JSONValue {
        func duration(_ value: Duration?) -> JSONValue { value.map { .string($0.description) } ?? .null }
        func seconds(_ value: Duration?) -> JSONValue { value.map { .number($0.seconds) } ?? .null }
        return .object([
            ("candidate", .string(canary.candidate)),
            ("stable", canary.stable.map(JSONValue.string) ?? .null),
            ("replacesInPlace", .bool(canary.replacesInPlace)),
            ("targetWeight", .int(canary.targetWeight)),
            ("otherNewVersions", .array(canary.otherNewVersions.map(JSONValue.string))),
            ("stepCount", .int(canary.stepCount)),
            ("steps", .array(canary.steps.map(json))),
            ("stepSummary", .string(canary.stepSummary)),
            ("analysisChecks", .int(canary.analysisChecks)),
            ("shadowChecks", .array(canary.shadowChecks.map { .string(judgedSummary($0, duringShadowSteps: true)) })),
            ("weightChecks", .array(canary.weightChecks.map { .string(judgedSummary($0, duringShadowSteps: false)) })),
            ("analysisInterval", duration(canary.analysisInterval)),
            ("failureLimit", canary.failureLimit.map(JSONValue.int) ?? .null),
            ("approvals", .int(canary.approvals)),
            ("minimumTimeToPromote", duration(canary.minimumTimeToPromote)),
            ("minimumTimeToPromoteSeconds", seconds(canary.minimumTimeToPromote)),
            ("worstCaseTimeToAbort", duration(canary.worstCaseTimeToAbort)),
            ("worstCaseTimeToAbortSeconds", seconds(canary.worstCaseTimeToAbort)),
            ("onAbort", .string(canary.onAbort.rawValue)),
            ("progressDeadline", duration(canary.progressDeadline)),
        ])
    }

    /// A step as the manifest writes it.
    static func json(_ step: RolloutStep) -> JSONValue {
        switch step {
        case .weight(let weight): return .object([("weight", .int(weight))])
        case .pause(let duration): return .object([("pause", .string(duration.description))])
        case .approval: return .object([("approval", .object([]))])
        case .shadow(let shadow):
            return .object([("shadow", .object([("percent", .int(shadow.percent)), ("duration", .string(shadow.duration.description))]))])
        }
    }

    static func json(_ difference: FieldChange) -> JSONValue {
        .object([
            ("op", .string(difference.operation.rawValue)),
            ("field", .string(difference.field)),
            ("from", difference.old.map(JSONValue.string) ?? .null),
            ("to", difference.new.map(JSONValue.string) ?? .null),
        ])
    }

    /// A diagnostic in the shape `sluice validate --format json` uses, plus its revision.
    static func json(_ diagnostic: Diagnostic, revision: String) -> JSONValue {
        .object([("revision", .string(revision))] + diagnostic.jsonMembers)
    }
}
