/// Checks what a schema cannot express: that fields agree with one another and that
/// thresholds make sense for what they measure. Runs on a document's nodes after the schema
/// pass, skipping any part whose shape the schema pass already found wrong.
struct SemanticValidator {
    var validator: SchemaValidator
    /// The file's bytes, to report a query's problems inside it (empty: at the query's start).
    let source: [UInt8]

    /// Whether advice about artifacts (unpinned, cluster-only) is reported as warnings.
    let artifactWarnings: Bool
    /// Whether advice about rollouts (a shadow step that no check judges) is reported as warnings.
    let rolloutWarnings: Bool

    init(file: String, source: [UInt8] = [], limit: Int = .max, artifactWarnings: Bool = false, rolloutWarnings: Bool = false) {
        validator = SchemaValidator(file: file, limit: limit)
        self.source = source
        self.artifactWarnings = artifactWarnings
        self.rolloutWarnings = rolloutWarnings
    }

    var diagnostics: [Diagnostic] { validator.diagnostics }
    /// Problems found past the limit, counted only.
    var suppressed: Int { validator.suppressed }

    mutating func check(document root: YAMLNode) {
        guard let spec = root["spec"], spec.entries != nil else { return }
        let versions = declaredVersions(spec)
        checkArtifacts(spec)
        checkTraffic(spec, versions: versions)
        if let mirror = spec["routing"]?["mirror"], let version = mirror.string("version"), let versions,
            !versions.contains(version)
        {
            reportUndeclared(version, at: mirror["version"]!.location, path: "spec.routing.mirror.version", versions: versions)
        }
        if let rollout = spec["rollout"] {
            checkSteps(rollout.list("steps"))
            checkShadow(rollout)
            for (index, check) in (rollout["analysis"]?.list("checks") ?? []).enumerated() {
                checkThresholds(check, path: "spec.rollout.analysis.checks[\(index)]")
                checkQuery(check, path: "spec.rollout.analysis.checks[\(index)]", isAnalysis: true)
            }
        }
        if let scaling = spec["scaling"], scaling.entries != nil { checkScaling(scaling) }
        for (index, monitor) in spec.list("monitors").enumerated() {
            // A pairwise metric is refused on a monitor by the schema pass; its thresholds are moot.
            if monitor.enumeration("metric", as: Metric.self)?.isPairwise == true { continue }
            checkThresholds(monitor, path: "spec.monitors[\(index)]")
            checkQuery(monitor, path: "spec.monitors[\(index)]", isAnalysis: false)
            if let critical = monitor["critical"], critical.entries != nil {
                checkThresholds(monitor, path: "spec.monitors[\(index)].critical", limits: critical)
                checkEscalation(monitor, critical: critical, path: "spec.monitors[\(index)].critical")
            }
        }
    }

    /// The rules `spec.scaling` shares with a runtime spec's (``ReplicaScaling/problems``),
    /// each reported at its field. A field the schema pass refused counts as absent here
    /// (its default), so that it is reported once, by the schema pass.
    private mutating func checkScaling(_ node: YAMLNode) {
        let path = "spec.scaling"
        func refused(_ name: String) -> Bool {
            guard let value = node[name], let field = ManifestSchema.scaling.field(name) else { return false }
            var schema = SchemaValidator(file: validator.file)
            schema.validate(value, as: field.type, path: path + "." + name, owner: value.location)
            return !schema.diagnostics.isEmpty
        }
        var scaling = ManifestDecoder.decodeScaling(node)
        if refused("minReplicas") { scaling.minReplicas = 1 }
        if node["maxReplicas"] == nil || refused("maxReplicas") { scaling.maxReplicas = scaling.minReplicas }
        if refused("target") { scaling.target = ReplicaScaling.defaultTarget }
        for problem in scaling.problems {
            let name = problem.field.split(separator: ".").first.map(String.init) ?? problem.field
            validator.report(node[name]?.location ?? node.location, .inconsistent, path + "." + problem.field, "\(problem.field): \(problem.message)")
        }
    }

    /// The version names, when the list is well formed enough to judge references against.
    private func declaredVersions(_ spec: YAMLNode) -> [String]? {
        guard let items = spec["versions"]?.items else { return nil }
        let names = items.compactMap { $0.string("name") }
        return names.count == items.count ? names : nil
    }

    private mutating func checkTraffic(_ spec: YAMLNode, versions: [String]?) {
        guard let traffic = spec.entry("traffic"), let entries = traffic.value.entries else {
            // Reported at the `versions` key that makes traffic necessary. `traffic:` written with
            // no value is already reported by the schema pass, so only an absent field counts here.
            if spec["traffic"] == nil, let versions, versions.count > 1, let versionsKey = spec.entry("versions")?.key {
                validator.report(
                    versionsKey.location, .missingField, "spec.traffic",
                    "spec declares \(versions.count) versions but no traffic; say which gets what, e.g. traffic: {\(versions[0]): 100}")
            }
            return
        }
        var sum = 0
        var allIntegers = true
        for entry in entries {
            guard let name = entry.key.scalar?.text else { continue }
            // A key that is not a valid version name is already reported by the schema pass.
            if let versions, !versions.contains(name), StringFormat.versionName.problem(in: name) == nil {
                reportUndeclared(name, at: entry.key.location, path: "spec.traffic." + name, versions: versions)
            }
            // The sum is only meaningful when every weight is itself valid.
            if case .int(let weight)? = entry.value.scalar?.value, (0...100).contains(weight) { sum += weight } else { allIntegers = false }
        }
        if allIntegers, sum != 100 {
            validator.report(
                traffic.key.location, .inconsistent, "spec.traffic",
                "traffic weights sum to \(sum); they must sum to 100")
        }
    }

    private mutating func reportUndeclared(_ name: String, at location: SourceLocation, path: String, versions: [String]) {
        var unique: [String] = []
        for version in versions where !unique.contains(version) { unique.append(version) }
        var message = "'\(name)' is not a declared version; spec.versions declares " + unique.joined(separator: ", ")
        if let suggestion = Suggestion.closest(to: name, among: unique) { message += "; did you mean '\(suggestion)'?" }
        validator.report(location, .inconsistent, path, message)
    }

    private mutating func checkSteps(_ steps: [YAMLNode]) {
        var previous: (weight: Int, index: Int)?
        for (index, step) in steps.enumerated() {
            guard let weight = step.int("weight"), (0...100).contains(weight) else { continue }
            if let previous, weight <= previous.weight {
                validator.report(
                    step["weight"]!.location, .inconsistent, "spec.rollout.steps[\(index)].weight",
                    "step weights must rise: step \(index + 1) sets \(weight) after step \(previous.index + 1) set \(previous.weight)")
            }
            previous = (weight, index)
        }
    }

    /// Checks `max` and `min` against what the metric and test measure. They are read from
    /// `limits` (a monitor's `critical` tier) when given, else from the check itself.
    /// A critical tier must be at least as far from healthy as the warning tier, or it
    /// would fire first and the warning would never be seen.
    private mutating func checkEscalation(_ monitor: YAMLNode, critical: YAMLNode, path: String) {
        if let warning = monitor.number("max"), let strict = critical.number("max"), strict < warning {
            validator.report(
                critical["max"]!.location, .inconsistent, path + ".max",
                "critical max \(format(strict)) is below the monitor's max \(format(warning)); a critical tier must be at least as far out, or it fires before the warning")
        }
        if let warning = monitor.number("min"), let strict = critical.number("min"), strict > warning {
            validator.report(
                critical["min"]!.location, .inconsistent, path + ".min",
                "critical min \(format(strict)) is above the monitor's min \(format(warning)); a critical tier must be at least as far out, or it fires before the warning")
        }
    }

    private mutating func checkThresholds(_ check: YAMLNode, path: String, limits: YAMLNode? = nil) {
        guard let metric = check.enumeration("metric", as: Metric.self) else { return }
        let test = check.enumeration("test", as: DriftTest.self)
        let node = limits ?? check
        func bad(_ field: String, _ message: String) {
            validator.report(node[field]!.location, .invalidValue, path + "." + field, message)
        }
        let max = node.number("max"), min = node.number("min")
        if metric.isDrift {
            guard let test else { return }
            if test.yieldsPValue {
                if max != nil {
                    bad("max", "\(test.rawValue) gives a p-value, which is small when distributions drift; use min (e.g. min: 0.05)")
                }
                if let min, !(min > 0 && min < 1) {
                    bad("min", "\(format(min)) is not a p-value threshold; expected a number between 0 and 1 (e.g. 0.05)")
                }
            } else {
                if min != nil {
                    bad("min", "\(test.rawValue) gives a distance, which is large when distributions drift; use max")
                }
                if let max, max < 0 {
                    bad("max", "\(test.rawValue) is never negative; expected a threshold of at least 0")
                } else if let max, let bound = test.upperBound, max >= bound {
                    bad("max", "\(test.rawValue) never exceeds \(format(bound)), so max \(format(max)) can never fire; expected a smaller threshold")
                }
            }
            return
        }
        if metric == .prometheus {
            // A query's value may mean anything, so both bounds are allowed; they must leave room.
            if let max, let min, min > max {
                bad("min", "min \(format(min)) is above max \(format(max)); no value can pass")
            }
        } else {
            for (field, message) in directionProblems(metric, max: max, min: min) { bad(field, message) }
        }
        if let low = node.number("minRatioToStable"), let high = node.number("maxRatioToStable"), low > high {
            bad("minRatioToStable", "minRatioToStable \(format(low)) is above maxRatioToStable \(format(high)); no value can pass")
        }
    }

    /// A built-in metric is better one way: its thresholds must say so, within its range.
    private func directionProblems(_ metric: Metric, max: Double?, min: Double?) -> [(field: String, message: String)] {
        var problems: [(field: String, message: String)] = []
        func bad(_ field: String, _ message: String) { problems.append((field, message)) }
        if metric.higherIsBetter, max != nil {
            bad("max", "\(metric.rawValue) is better when higher; use min to fail when it falls")
        }
        if !metric.higherIsBetter, min != nil {
            bad("min", "\(metric.rawValue) is better when lower; use max to fail when it rises")
        }
        for (field, value) in [("max", max), ("min", min)] {
            guard let value else { continue }
            if metric.isProbability, !(0...1).contains(value) {
                bad(field, "\(metric.rawValue) is a fraction from 0 to 1 (0.01 means 1%); found \(format(value))")
            } else if value < 0 {
                bad(field, "\(metric.rawValue) is never negative; found \(format(value))")
            }
        }
        return problems
    }

    func format(_ value: Double) -> String { JSONValue.number((value * 10_000).rounded() / 10_000).serialized() }
}
