/// The definition of the `sluice/v1` `ModelDeployment` format: every field, its type, its
/// default and its meaning. The validator, the JSON Schema and the field reference in docs/manifests.md all
/// derive from this one value.
public enum ManifestSchema {
    /// The only apiVersion this build reads.
    public static let apiVersion = "sluice/v1"
    /// The only kind this build reads.
    public static let kind = "ModelDeployment"

    /// The whole document.
    public static let document = ObjectSchema(
        name: "ModelDeployment", plural: "model deployments",
        description: "A model served by Sluice: its versions, the traffic split to reach, how to reach it, and what to watch.",
        fields: [
            FieldSchema("apiVersion", .constant(apiVersion), required: true, "The format version; always `\(apiVersion)`."),
            FieldSchema("kind", .constant(kind), required: true, "Always `\(kind)`."),
            FieldSchema("metadata", .object(metadata), required: true, "The model's name and labels."),
            FieldSchema("spec", .object(spec), required: true, "What should serve and how."),
        ])

    static let metadata = ObjectSchema(
        name: "Metadata", plural: "metadata",
        description: "Identity of the model.",
        fields: [
            FieldSchema(
                "name", .string(.dnsLabel), required: true,
                "The model's name, unique in the repository; also its endpoint `/v2/models/{name}/infer`."),
            FieldSchema(
                "labels", .map(keys: .labelKey, values: .string(.labelValue)),
                "Free-form key/value strings for selection and reporting (team, tier)."),
        ])

    static let spec = ObjectSchema(
        name: "Spec", plural: "specs",
        description: "The desired state of the model.",
        fields: [
            FieldSchema(
                "runtime", .string(.dnsLabel), required: true,
                "The name of a runtime defined in the operator's config; manifests never hold commands."),
            FieldSchema(
                "versions", .list(.object(version), minItems: 1, uniqueField: "name"), required: true,
                "The model versions that may serve, each with its artifact."),
            FieldSchema(
                "traffic", .map(keys: .versionName, values: .integer(minimum: 0, maximum: 100)),
                default: "100 to the only version",
                "The split to reach: version name to integer percent, summing to 100. Versions left out get 0. Required when more than one version is declared."),
            FieldSchema("routing", .object(routing), "Sticky sessions and mirroring."),
            FieldSchema(
                "rollout", .object(rollout), default: "switch at once",
                "How to move traffic to a new version: steps and analysis. Omitted, the new split applies at once."),
            FieldSchema(
                "monitors", .list(.object(monitor), minItems: 0, uniqueField: "name"),
                "Checks that run all the time on live traffic, each with an action."),
            FieldSchema(
                "scaling", .object(scaling), default: "one process per version",
                "Replicas per version and the load that adds them. During a canary the candidate gets a share of the bounds in proportion to its weight (at least one replica); the stable version keeps its own until promotion."),
            windowsField,
        ])

    static let version = ObjectSchema(
        name: "ModelVersion", plural: "versions",
        description: "One version of the model.",
        fields: [
            FieldSchema("name", .string(.versionName), required: true, "The version's name, unique within the model (`v2.1`)."),
            FieldSchema(
                "artifact", .string(.artifact), required: true,
                "The model: a path relative to the repository root (a directory when written with a trailing `/`), `s3://BUCKET/KEY` (a key ending in `/` is a prefix, fetched as a directory), `https://HOST/PATH` (`.tar.gz`, `.tgz`, `.zip` are unpacked), `models:/NAME/VERSION` or `models:/NAME@ALIAS` (an MLflow registry), or `gs://`, `hf://`, `pvc://` (fetched by a cluster runtime only). See docs/artifacts.md."),
            FieldSchema(
                "digest", .string(.digest),
                "A pin of the artifact's content, checked before the version starts: `sha256:<64 hex>` (or `sha512:<128 hex>` for a file); a directory's is the directory digest of docs/artifacts.md. `sluice artifact digest` prints it. An S3 key, an https URL or an MLflow alias without it is a warning in `sluice validate`."),
        ])

    static let routing = ObjectSchema(
        name: "Routing", plural: "routing settings",
        description: "How the gateway chooses a version per request beyond the weights.",
        fields: [
            FieldSchema(
                "stickyHeader", .string(.headerName),
                "A request header (such as `x-user-id`) hashed to keep one caller on one version while weights hold."),
            FieldSchema("mirror", .object(mirror), "Send a copy of some requests to a version without returning its answer."),
        ])

    static let mirror = ObjectSchema(
        name: "Mirror", plural: "mirrors",
        description: "Shadow traffic to a version.",
        fields: [
            FieldSchema("version", .string(.versionName), required: true, "The declared version that receives the copies."),
            FieldSchema("percent", .integer(minimum: 1, maximum: 100), required: true, "The share of requests copied, 1 to 100."),
        ])

    static let scaling = ObjectSchema(
        name: "Scaling", plural: "scaling settings",
        description: "How many model-server processes (replicas) run a version, and when the autoscaler adds or removes one.",
        fields: [
            FieldSchema(
                "minReplicas", .integer(minimum: 1, maximum: ReplicaScaling.maximumReplicas), default: "1",
                "Replicas kept running whatever the load."),
            FieldSchema(
                "maxReplicas", .integer(minimum: 1, maximum: ReplicaScaling.maximumReplicas), default: "minReplicas",
                "Replicas never exceeded; at least minReplicas. Equal to minReplicas, the count is fixed. The operator's `serve.maxProcesses` caps the total further."),
            FieldSchema(
                "target", .object(scalingTarget), default: "concurrency: 4",
                "The load one replica should carry; above it replicas are added at once."),
            FieldSchema(
                "scaleDownDelay", .string(.duration), default: "5m",
                "How long load must stay below the target before a replica is removed, so a brief lull does not cost a cold start."),
        ])

    static let scalingTarget = ObjectSchema(
        name: "ScalingTarget", plural: "scaling targets",
        description: "The load per replica: exactly one of `concurrency` or `rps`.",
        fields: [
            FieldSchema("concurrency", .number(exclusiveMinimum: 0), "Requests in flight per replica."),
            FieldSchema("rps", .number(exclusiveMinimum: 0), "Requests per second per replica."),
        ],
        exactlyOneField: true, singular: "target")

    static let rollout = ObjectSchema(
        name: "Rollout", plural: "rollouts",
        description: "A canary: ordered steps, and the analysis that must pass while they run.",
        fields: [
            FieldSchema(
                "steps", .list(.object(step), minItems: 1, uniqueField: nil), required: true,
                "Ordered steps; each sets the new version's weight, pauses, waits for approval, or shadows stable's requests to it. After the last step the target split applies."),
            FieldSchema("analysis", .object(analysis), "Measurements taken every interval while steps run; failing ones abort."),
            FieldSchema(
                "onAbort", .enumeration(AbortPolicy.allCases.map(\.rawValue)), default: AbortPolicy.rollback.rawValue,
                "`rollback`: traffic returns to stable and git is left as is. `revert`: also commit a revert of the change, so git says what runs."),
            FieldSchema(
                "progressDeadline", .string(.duration), default: "10m",
                "How long a new version may take to become ready; pauses and analysis do not count."),
            FieldSchema(
                "rollbackWindow", .integer(minimum: 0, maximum: 100), default: "5",
                "How many recent stable specs a return counts as a fast rollback (no steps, no analysis)."),
        ])

    static let step = ObjectSchema(
        name: "RolloutStep", plural: "rollout steps",
        description: "One step: exactly one of `weight`, `pause`, `approval` or `shadow`.",
        fields: [
            FieldSchema(
                "weight", .integer(minimum: 0, maximum: 100),
                "Set the new version's share of traffic, in percent; weights rise from step to step."),
            FieldSchema("pause", .string(.duration), "Wait this long (analysis keeps running)."),
            FieldSchema(
                "approval", .object(approval),
                "Wait until someone runs `sluice promote MODEL`; written `approval: {}`."),
            FieldSchema(
                "shadow", .object(shadow),
                "Send the new version copies of the stable version's requests and judge its answers against stable's, while callers only ever get stable's answers; written `shadow: {}` for the defaults. Before any weight step, no caller is served by the new version until the shadow step passes. Needs Sluice's own gateway (`sluice serve`) to pair answers. See docs/controller.md#shadow-steps."),
        ],
        exactlyOneField: true, singular: "step")

    static let approval = ObjectSchema(
        name: "Approval", plural: "approvals",
        description: "A manual gate; it has no fields yet.",
        fields: [])

    static let shadow = ObjectSchema(
        name: "ShadowStep", plural: "shadow steps",
        description: "A step in which the new version answers copies of stable's requests, its answers paired with stable's for the same request and judged by the pairwise checks.",
        fields: [
            FieldSchema(
                "percent", .integer(minimum: 1, maximum: 100), default: "100",
                "The share of the stable version's requests copied to the new version. Copies never delay the caller; when the new version falls behind, copies beyond the data plane's `maxMirroredInFlight` are shed and counted."),
            FieldSchema(
                "duration", .string(.duration), default: "10m",
                "How long the step lasts at least. With analysis it passes once this is up and the last measurement taken in the step was Successful; without analysis, once this is up."),
        ])

    static let analysis = ObjectSchema(
        name: "Analysis", plural: "analyses",
        description: "How the candidate is judged while the rollout runs.",
        fields: [
            FieldSchema("interval", .string(.duration), default: "1m", "How often the checks are measured."),
            FieldSchema(
                "minRequests", .integer(minimum: 1, maximum: nil), default: "100",
                "Requests the candidate must have served in the interval (during a shadow step: pairs for pairwise checks, copies for `error_rate` and latency); fewer makes the measurement Inconclusive, never a pass."),
            FieldSchema(
                "failureLimit", .integer(minimum: 0, maximum: nil), default: "0",
                "Failed measurements tolerated; one more aborts the rollout."),
            FieldSchema(
                "inconclusiveLimit", .integer(minimum: 0, maximum: nil), default: "0",
                "Inconclusive measurements tolerated; one more pauses the rollout for a person."),
            FieldSchema(
                "consecutiveErrorLimit", .integer(minimum: 0, maximum: nil), default: "4",
                "Measurements in a row that could not be taken before they count as a failure."),
            FieldSchema(
                "checks", .list(.object(check), minItems: 1, uniqueField: "name"), required: true,
                "What is measured and the thresholds it must meet."),
        ])

    /// What a check or monitor measures; shared so both read the same.
    static let metricFields: [FieldSchema] = [
            FieldSchema(
                "metric", .enumeration(Metric.allCases.map(\.rawValue)), required: true,
                "What is measured: `error_rate` (share of requests answered with an error, 5xx or none, 0–1), `latency_p50_ms`…`latency_p99_ms`, `input_drift` and `prediction_drift` (a drift score), `accuracy` (0–1) and `mae` (against ground truth), `prometheus` (a query's value); on analysis checks only, the pairwise metrics measured during shadow steps on the same requests: `agreement` (share of pairs whose first output equals stable's, 0–1), `output_mae_vs_stable` (mean absolute difference of the first output) and `latency_ratio_paired` (the candidate's latency quantile over stable's)."),
            FieldSchema(
                "inputs", .list(.string(.featureName), minItems: 1, uniqueField: nil), default: "every input",
                "For input_drift: the input names to test."),
            FieldSchema("test", .enumeration(DriftTest.allCases.map(\.rawValue)), "For drift metrics: the statistical test."),
    ]

    /// The query of `metric: prometheus`, described once for checks and monitors.
    static func queryField(evaluated: String) -> FieldSchema {
        FieldSchema(
            "query", .string(nil),
            "For `metric: prometheus`: a PromQL query whose one value is judged, \(evaluated). Variables `{{model}}`, `{{version}}`, `{{stableVersion}}` and `{{namespace}}` go inside `\"…\"` or `'…'` literals (their values are escaped), `{{window}}` where PromQL takes a duration (`[{{window}}]`). An empty result or NaN is never a pass; more than one series is an error. See docs/prometheus-queries.md.")
    }

    static let prometheusName = Metric.prometheus.rawValue
    static var nonPrometheusNames: [String] { Metric.allCases.filter { $0 != .prometheus }.map(\.rawValue) }
    static var pairwiseNames: [String] { Metric.allCases.filter(\.isPairwise).map(\.rawValue) }
    static var nonAgreementNames: [String] { Metric.allCases.filter { $0 != .agreement }.map(\.rawValue) }
    static var nonPairedLatencyNames: [String] { Metric.allCases.filter { $0 != .latencyRatioPaired }.map(\.rawValue) }

    static let thresholdFields: [FieldSchema] = [
        FieldSchema("max", .number(exclusiveMinimum: nil), "Fails when the value is above this."),
        FieldSchema("min", .number(exclusiveMinimum: nil), "Fails when the value is below this."),
    ]

    static let driftRules: [FieldRule] = [
        FieldRule(
            when: "metric", in: Metric.driftNames, requires: ["test"],
            because: "a drift metric needs a statistical test"),
        FieldRule(
            when: "metric", in: Metric.nonDriftNames, forbids: ["test", "inputs"],
            because: "only input_drift and prediction_drift take a test, and only input_drift takes inputs"),
        FieldRule(
            when: "metric", in: [Metric.predictionDrift.rawValue], forbids: ["inputs"],
            because: "prediction drift compares the model's outputs, not its inputs"),
    ]

    static let check = ObjectSchema(
        name: "AnalysisCheck", plural: "analysis checks",
        description: "One measured condition. At least one threshold is required.",
        fields: metricFields + [
            FieldSchema(
                "name", .string(.dnsLabel),
                "For `metric: prometheus` (required there): the check's name in status and history, unique among the model's checks."),
            queryField(evaluated: "for the candidate every interval (`{{window}}` is the interval)"),
            FieldSchema(
                "against", .enumeration(Baseline.allCases.map(\.rawValue)), default: Baseline.stable.rawValue,
                "For drift metrics: compare with the stable version's live traffic, or with a reference file."),
            FieldSchema("reference", .string(.repositoryPath), "For `against: reference`: the baseline file in the repository."),
        ] + thresholdFields + [
            FieldSchema(
                "maxRatioToStable", .number(exclusiveMinimum: 0),
                "Fails when the candidate's value exceeds the stable version's value on the same window times this."),
            FieldSchema(
                "minRatioToStable", .number(exclusiveMinimum: 0),
                "Fails when the candidate's value is below the stable version's value on the same window times this."),
            FieldSchema(
                "tolerance", .number(exclusiveMinimum: nil, minimum: 0), default: "0 (exact)",
                "For `metric: agreement`: the largest absolute difference between the candidate's and stable's output values that still counts as agreeing (every value of the first output must be within it). Categories (strings) must be equal."),
            FieldSchema(
                "quantile", .number(exclusiveMinimum: 0, exclusiveMaximum: 1), default: "0.99",
                "For `metric: latency_ratio_paired`: the latency quantile compared, candidate's over stable's on the same requests (0.5 compares medians)."),
        ],
        requireAnyOf: [["max", "min", "maxRatioToStable", "minRatioToStable"]],
        rules: driftRules + [
            FieldRule(
                when: "against", in: [Baseline.reference.rawValue], requires: ["reference"],
                because: "a reference comparison needs the baseline file"),
            FieldRule(
                when: "against", in: [Baseline.stable.rawValue], forbids: ["reference"],
                because: "a comparison with stable uses live traffic, not a file"),
            FieldRule(
                when: "metric", in: Metric.driftNames, forbids: ["maxRatioToStable", "minRatioToStable"],
                because: "a drift score already compares two distributions"),
            FieldRule(
                when: "metric", in: [prometheusName], requires: ["name", "query"], forbids: ["against", "reference"],
                because: "a prometheus check is named, and measures its query; for ratio thresholds the stable version is queried with {{version}} set to it"),
            FieldRule(
                when: "metric", in: nonPrometheusNames, forbids: ["name", "query"],
                because: "only metric prometheus runs a query and takes a name"),
            FieldRule(
                when: "metric", in: pairwiseNames, forbids: ["maxRatioToStable", "minRatioToStable", "against", "reference"],
                because: "a pairwise metric already compares the candidate with stable, request by request"),
            FieldRule(
                when: "metric", in: nonAgreementNames, forbids: ["tolerance"],
                because: "only agreement compares output values within a tolerance"),
            FieldRule(
                when: "metric", in: nonPairedLatencyNames, forbids: ["quantile"],
                because: "only latency_ratio_paired takes a quantile (latency_p99_ms and the like name theirs)"),
        ])

    static let monitor = ObjectSchema(
        name: "Monitor", plural: "monitors",
        description: "A check on live traffic that runs all the time, with an action when it fires.",
        fields: [
            FieldSchema("name", .string(.dnsLabel), required: true, "The monitor's name, unique within the model."),
        ] + metricFields + [
            queryField(evaluated: "for each serving version at the end of each window (`{{window}}` is the window)"),
            FieldSchema(
                "reference", .string(.repositoryPath),
                "For drift metrics: the baseline file in the repository."),
        ] + thresholdFields + [
            FieldSchema("window", .string(.duration), default: "1h", "The tumbling window each value is computed over."),
            FieldSchema(
                "minSamples", .integer(minimum: 1, maximum: nil), default: "100",
                "Samples a window needs; fewer reports insufficient data, never a pass. Not for `metric: prometheus`."),
            FieldSchema(
                "consecutiveWindows", .integer(minimum: 1, maximum: nil), default: "1",
                "Windows in a row that must breach before the monitor fires."),
            FieldSchema("severity", .enumeration(Severity.allCases.map(\.rawValue)), default: Severity.warning.rawValue, "How loudly it fires."),
            FieldSchema(
                "action", .enumeration(MonitorAction.allCases.map(\.rawValue)), default: MonitorAction.alert.rawValue,
                "`alert` sends a webhook; `rollback` returns traffic to stable; `retrain` calls the retraining webhook after an approval."),
            FieldSchema(
                "critical", .object(criticalTier),
                "A second, stricter tier: its thresholds, windows in a row and action escalate the monitor to critical."),
        ],
        requireAnyOf: [["max", "min"]],
        rules: driftRules + [
            FieldRule(
                when: "metric", in: Metric.driftNames, requires: ["reference"],
                because: "a monitor compares live traffic with a baseline file"),
            FieldRule(
                when: "severity", in: [Severity.critical.rawValue], forbids: ["critical"],
                because: "with a critical tier, the monitor's own thresholds are its warning tier"),
            FieldRule(
                when: "metric", in: [prometheusName], requires: ["query"], forbids: ["reference", "minSamples"],
                because: "a prometheus monitor's value is its query's, with no baseline file and no sample count"),
            FieldRule(
                when: "metric", in: nonPrometheusNames, forbids: ["query"],
                because: "only metric prometheus runs a query"),
            .refusing(
                "metric", pairwiseNames,
                because: "it compares a rollout's candidate with stable on copies of the same requests, measured only during shadow steps; monitors judge the traffic each version serves; use it in spec.rollout.analysis.checks, with a shadow step"),
        ])

    static let criticalTier = ObjectSchema(
        name: "CriticalTier", plural: "critical tiers",
        description: "The escalation of a monitor: stricter thresholds on the same value.",
        fields: thresholdFields + [
            FieldSchema(
                "consecutiveWindows", .integer(minimum: 1, maximum: nil), default: "1",
                "Windows in a row beyond these thresholds before the critical tier fires."),
            FieldSchema(
                "action", .enumeration(MonitorAction.allCases.map(\.rawValue)), default: MonitorAction.alert.rawValue,
                "What happens when the critical tier fires."),
        ],
        requireAnyOf: [["max", "min"]])

    /// Every object definition, in reference order.
    public static let objects: [ObjectSchema] = [
        document, metadata, spec, version, routing, mirror, rollout, step, approval, shadow, analysis, check, monitor, criticalTier,
        scaling, scalingTarget, window,
    ]

    /// Every documented field path (`spec.versions[].name`), depth first in definition order.
    public static var fieldPaths: [String] {
        var paths: [String] = []
        func walk(_ object: ObjectSchema, prefix: String) {
            for field in object.fields {
                let path = prefix.isEmpty ? field.name : prefix + "." + field.name
                paths.append(path)
                switch field.type {
                case .object(let child): walk(child, prefix: path)
                case .list(.object(let child), _, _): walk(child, prefix: path + "[]")
                default: break
                }
            }
        }
        walk(document, prefix: "")
        return paths
    }
}
