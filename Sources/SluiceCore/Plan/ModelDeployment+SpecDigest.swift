import Crypto

extension ModelDeployment {
    /// The canonical form of what runs: `spec` after defaults, as JSON with keys sorted by their
    /// UTF-8 bytes and no whitespace. Two manifests that mean the same deployment have the same
    /// canonical form, however they are formatted, ordered or commented.
    ///
    /// What it leaves out, and why:
    /// - `metadata.name`: it is the key the digest is recorded under, not part of the spec.
    /// - `metadata.labels`: they select and report; they never change what serves.
    /// - `scaling` when it is not written: a manifest without it keeps the digest it had
    ///   before the field existed (defaults filled in when it is written).
    ///
    /// What it normalises, and why:
    /// - Defaults are filled in by the decoder, so `onAbort: rollback` written or omitted is
    ///   the same, and so is a version left out of `traffic` or written with weight 0.
    /// - Versions and monitors are keyed by their unique names, so their order is irrelevant;
    ///   analysis checks all run every interval, so they are a (multi)set; input lists are sets.
    ///   Rollout steps keep their order: it is the plan.
    /// - Durations are written in their canonical spelling (`90m` and `1h30m` are both `1h30m`);
    ///   numbers are written in the shortest form that reads back to the same value, with
    ///   integral values as integers (`0.20` and `0.2`, `120.0` and `120` agree).
    ///
    /// The form is a contract: changing it changes every digest, so fast-rollback detection
    /// would see no recent spec as known until history is rebuilt.
    public var canonicalSpec: JSONValue {
        var members: [(String, JSONValue)] = [
            ("runtime", .string(runtime)),
            ("versions", .array(versions.sorted { Self.utf8Less($0.name, $1.name) }.map(Self.canonical))),
            ("traffic", .object(traffic.map { ($0.key, .int($0.value)) })),
            ("routing", Self.canonical(routing)),
            ("monitors", .array(monitors.sorted { Self.utf8Less($0.name, $1.name) }.map(Self.canonical))),
        ]
        if let rollout { members.append(("rollout", Self.canonical(rollout))) }
        // Only when written, so that every digest recorded before `scaling` existed still holds.
        if let scaling { members.append(("scaling", scaling.jsonValue)) }
        return Self.sortedKeys(.object(members))
    }

    /// ``canonicalSpec`` serialized compactly: the exact bytes the digest covers.
    public var canonicalSpecJSON: String { canonicalSpec.serialized() }

    /// `sha256:<64 hex>` of ``canonicalSpecJSON``: equal for manifests that mean the same
    /// deployment, different whenever what runs differs. Labels and the name are not covered.
    public var specDigest: String {
        "sha256:" + SHA256.hexDigest(of: Array(canonicalSpecJSON.utf8))
    }

    // MARK: - Canonical parts

    private static func canonical(_ version: ModelVersion) -> JSONValue {
        var members: [(String, JSONValue)] = [("name", .string(version.name)), ("artifact", .string(version.artifact))]
        if let digest = version.digest { members.append(("digest", .string(digest.description))) }
        return .object(members)
    }

    private static func canonical(_ routing: Routing) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if let header = routing.stickyHeader { members.append(("stickyHeader", .string(header))) }
        if let mirror = routing.mirror {
            members.append(("mirror", .object([("version", .string(mirror.version)), ("percent", .int(mirror.percent))])))
        }
        return .object(members)
    }

    private static func canonical(_ rollout: Rollout) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("steps", .array(rollout.steps.map(canonical))),
            ("onAbort", .string(rollout.onAbort.rawValue)),
            ("progressDeadline", .string(rollout.progressDeadline.description)),
            ("rollbackWindow", .int(rollout.rollbackWindow)),
        ]
        if let analysis = rollout.analysis { members.append(("analysis", canonical(analysis))) }
        return .object(members)
    }

    private static func canonical(_ step: RolloutStep) -> JSONValue {
        switch step {
        case .weight(let weight): return .object([("weight", .int(weight))])
        case .pause(let duration): return .object([("pause", .string(duration.description))])
        case .approval: return .object([("approval", .object([]))])
        case .shadow(let shadow):
            return .object([("shadow", .object([("percent", .int(shadow.percent)), ("duration", .string(shadow.duration.description))]))])
        }
    }

    private static func canonical(_ analysis: Analysis) -> JSONValue {
        // Each check is made canonical first, then the list is ordered by that form.
        let checks = analysis.checks.map { sortedKeys(canonical($0)) }.sorted { utf8Less($0.serialized(), $1.serialized()) }
        return .object([
            ("interval", .string(analysis.interval.description)),
            ("minRequests", .int(analysis.minRequests)),
            ("failureLimit", .int(analysis.failureLimit)),
            ("inconclusiveLimit", .int(analysis.inconclusiveLimit)),
            ("consecutiveErrorLimit", .int(analysis.consecutiveErrorLimit)),
            ("checks", .array(checks)),
        ])
    }

    private static func canonical(_ check: AnalysisCheck) -> JSONValue {
        var members: [(String, JSONValue)] = [("metric", .string(check.metric.rawValue))]
        if !check.inputs.isEmpty { members.append(("inputs", canonicalSet(check.inputs))) }
        if let test = check.test { members.append(("test", .string(test.rawValue))) }
        members.append(("against", .string(check.against.rawValue)))
        if let reference = check.reference { members.append(("reference", .string(reference))) }
        members += canonical(check.thresholds)
        // Written only when set to other than the default, so every digest from before these
        // fields is unchanged and spelling a default out changes nothing (as for other fields).
        if let tolerance = check.tolerance, tolerance != 0 { members.append(("tolerance", canonicalNumber(tolerance))) }
        if let quantile = check.quantile, quantile != AnalysisCheck.defaultQuantile {
            members.append(("quantile", canonicalNumber(quantile)))
        }
        return .object(members)
    }

    private static func canonical(_ monitor: Monitor) -> JSONValue {
        var members: [(String, JSONValue)] = [("name", .string(monitor.name)), ("metric", .string(monitor.metric.rawValue))]
        if !monitor.inputs.isEmpty { members.append(("inputs", canonicalSet(monitor.inputs))) }
        if let test = monitor.test { members.append(("test", .string(test.rawValue))) }
        if let reference = monitor.reference { members.append(("reference", .string(reference))) }
        members += canonical(monitor.thresholds)
        members += [
            ("window", .string(monitor.window.description)),
            ("minSamples", .int(monitor.minSamples)),
            ("consecutiveWindows", .int(monitor.consecutiveWindows)),
            ("severity", .string(monitor.severity.rawValue)),
            ("action", .string(monitor.action.rawValue)),
        ]
        if let critical = monitor.critical {
            members.append((
                "critical",
                .object(canonical(critical.thresholds) + [
                    ("consecutiveWindows", .int(critical.consecutiveWindows)), ("action", .string(critical.action.rawValue)),
                ])))
        }
        return .object(members)
    }

    private static func canonical(_ thresholds: Thresholds) -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = []
        for (key, value) in [
            ("max", thresholds.max), ("min", thresholds.min),
            ("maxRatioToStable", thresholds.maxRatioToStable), ("minRatioToStable", thresholds.minRatioToStable),
        ] {
            if let value { members.append((key, canonicalNumber(value))) }
        }
        return members
    }

    /// A number in one spelling: integral values as integers, `-0` as `0`, others in the
    /// shortest decimal that reads back to the same double (Swift's `description`).
    static func canonicalNumber(_ value: Double) -> JSONValue {
        if value == 0 { return .int(0) }
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return .int(Int(value)) }
        return .number(value)
    }

    private static func canonicalSet(_ items: [String]) -> JSONValue {
        .array(Array(Set(items)).sorted(by: utf8Less).map { .string($0) })
    }

    /// Orders strings by their UTF-8 bytes, which no locale or normalisation can change.
    static func utf8Less(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    /// The value with every object's keys in UTF-8 byte order, recursively.
    static func sortedKeys(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let items): return .array(items.map(sortedKeys))
        case .object(let members):
            return .object(members.map { ($0.0, sortedKeys($0.1)) }.sorted { utf8Less($0.0, $1.0) })
        default: return value
        }
    }
}
