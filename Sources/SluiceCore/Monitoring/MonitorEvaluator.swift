/// Judges one window of one version against a monitor (or a canary analysis check):
/// computes the value, compares it with the monitor's tiers, and says how much data and
/// how much estimation it rests on. Pure: the controller brings the window and reference.
public enum MonitorEvaluator {
    /// What to measure and the limits, common to monitors and analysis checks.
    public struct Question: Sendable, Hashable {
        public var name: String
        public var metric: Metric
        public var inputs: [String]
        public var test: DriftTest?
        public var thresholds: Thresholds
        public var critical: Thresholds?
        public var minSamples: Int

        /// Creates a question.
        public init(
            name: String, metric: Metric, inputs: [String] = [], test: DriftTest? = nil, thresholds: Thresholds,
            critical: Thresholds? = nil, minSamples: Int = 100
        ) {
            self.name = name
            self.metric = metric
            self.inputs = inputs
            self.test = test
            self.thresholds = thresholds
            self.critical = critical
            self.minSamples = minSamples
        }

        /// The question a monitor asks.
        public init(_ monitor: Monitor) {
            self.init(
                name: monitor.name, metric: monitor.metric, inputs: monitor.inputs, test: monitor.test,
                thresholds: monitor.thresholds, critical: monitor.critical?.thresholds, minSamples: monitor.minSamples)
        }
    }

    /// What drift is measured against.
    public enum Reference: Sendable, Hashable {
        /// A baseline file's features, by name.
        case baseline([String: FeatureData])
        /// The stable version's live traffic over the same window.
        case live(MonitoringBucket)
        /// Nothing (metrics that need no reference).
        case none
        /// The reference could not be read; the message says why.
        case unavailable(String)
    }

    /// Evaluates `window` (one version's merged buckets).
    public static func evaluate(_ question: Question, window: MonitoringBucket, reference: Reference) -> MonitorReading {
        var reading = MonitorReading(
            monitor: question.name, version: window.version, windowStart: window.start, windowEnd: window.end,
            value: nil, threshold: question.thresholds.max ?? question.thresholds.min,
            criticalThreshold: question.critical.flatMap { $0.max ?? $0.min },
            comparator: question.thresholds.max != nil ? ">" : "<", samples: 0, errorBound: nil, estimated: false,
            verdict: .insufficientData, detail: "")
        if question.metric == .prometheus {
            // Its value is its query's: see evaluate(_:version:windowStart:windowEnd:outcome:).
            reading.verdict = .error
            reading.detail = "a prometheus monitor is judged from its query's answer, and none was given"
        } else if question.metric.isDrift {
            evaluateDrift(question, window: window, reference: reference, into: &reading)
        } else {
            evaluateValue(question, window: window, into: &reading)
        }
        return reading
    }

    // MARK: - plain values

    private static func evaluateValue(_ question: Question, window: MonitoringBucket, into reading: inout MonitorReading) {
        let value: Double?
        switch question.metric {
        case .errorRate:
            reading.samples = window.requests
            value = window.requests > 0 ? Double(window.errors) / Double(window.requests) : nil
            reading.detail = "\(window.errors) errors in \(window.requests) requests"
        case .latencyP50, .latencyP90, .latencyP95, .latencyP99:
            reading.samples = window.latencyMs.count
            let q = question.metric.latencyQuantile
            value = window.latencyMs.quantile(q)
            if !window.latencyMs.isExact, let value {
                // The sketch's rank error, turned into milliseconds around the estimate.
                let rankError = window.latencyMs.normalizedRankError
                let low = window.latencyMs.quantile(Swift.max(0, q - rankError)) ?? value
                let high = window.latencyMs.quantile(Swift.min(1, q + rankError)) ?? value
                reading.estimated = true
                reading.errorBound = Swift.max(value - low, high - value)
                reading.detail = "\(window.latencyMs.count) requests, estimated from a quantile sketch, rank error ±\(percent(rankError))"
            }
        case .accuracy, .mae:
            let labels = window.labels
            reading.samples = question.metric == .accuracy ? labels.labeled : labels.numericPairs
            value = question.metric == .accuracy ? labels.accuracy : labels.meanAbsoluteError
            let coverage = labels.coverage.map { "label coverage \(percent($0))" } ?? "no predictions in the window"
            reading.detail = "\(labels.labeled) labels for \(labels.predictions) predictions, \(coverage)"
        case .inputDrift, .predictionDrift, .prometheus:
            // Judged above.
            value = nil
        case .agreement, .outputMAEVsStable, .latencyRatioPaired:
            // Pairwise metrics exist only during a rollout's shadow steps (validation refuses them on monitors).
            value = nil
            reading.detail = "\(question.metric.rawValue) is measured during shadow steps, not by monitors"
        }
        reading.value = value
        guard let value, reading.samples >= question.minSamples else {
            reading.verdict = .insufficientData
            reading.detail = "insufficient data: \(reading.samples) samples, \(question.minSamples) needed"
                + (reading.detail.isEmpty ? "" : "; " + reading.detail)
            return
        }
        // The value against the threshold it was judged by, then what it rests on:
        // `accuracy 0.16 < min 0.9 (392 labels for 392 predictions, label coverage 100%)`.
        let comparison: String
        if let critical = question.critical, let broken = breach(value, critical) {
            reading.verdict = .critical
            comparison = "\(format(value)) \(broken.comparison) critical \(broken.field) \(format(broken.limit))"
        } else if let broken = breach(value, question.thresholds) {
            reading.verdict = .breach
            comparison = "\(format(value)) \(broken.comparison) \(broken.field) \(format(broken.limit))"
        } else {
            reading.verdict = .ok
            comparison = "\(format(value)) within " + AnalysisEvaluator.describe(question.thresholds)
        }
        let basis = reading.detail.isEmpty ? "\(reading.samples) samples" : reading.detail
        reading.detail = "\(question.metric.rawValue) \(comparison) (\(basis))"
    }

    // MARK: - drift

    private static func evaluateDrift(_ question: Question, window: MonitoringBucket, reference: Reference, into reading: inout MonitorReading) {
        let test = question.test
        reading.comparator = test?.yieldsPValue == true ? DriftScore.pValueComparator : DriftScore.distanceComparator
        let current = question.metric == .inputDrift ? window.inputs : window.outputs
        let references: [String: FeatureData]
        switch reference {
        case .baseline(let features):
            references = features
        case .live(let stable):
            references = features(of: question.metric == .inputDrift ? stable.inputs : stable.outputs)
        case .none:
            reading.verdict = .error
            reading.detail = "a drift monitor needs a reference (a baseline file or the stable version)"
            return
        case .unavailable(let why):
            reading.verdict = .error
            reading.detail = why
            return
        }
        var pairs: [(name: String, reference: FeatureData, currentName: String)] = []
        var names = question.metric == .inputDrift && !question.inputs.isEmpty ? question.inputs : references.keys.sorted()
        if question.metric == .predictionDrift, case .baseline = reference, names.count == 1,
            current.numeric[names[0]] == nil, current.categorical[names[0]] == nil, let output = current.names.first
        {
            // A one-feature prediction baseline built from a column with another name.
            pairs.append((names[0], references[names[0]]!, output))
            names = []
        }
        var missing: [String] = []
        let chosen = question.metric == .inputDrift && !question.inputs.isEmpty
        for name in names {
            guard let data = references[name] else { missing.append(name); continue }
            // Every feature was asked for: skip categories a numbers-only test cannot score.
            if !chosen, data.kind == .categorical, test == .ks || test == .wasserstein { continue }
            pairs.append((name, data, name))
        }
        if !missing.isEmpty {
            reading.verdict = .error
            reading.detail = "the reference has no feature \(missing.map { "'\($0)'" }.joined(separator: ", ")); it has \(references.keys.sorted().joined(separator: ", "))"
            return
        }
        guard !pairs.isEmpty else {
            reading.verdict = .insufficientData
            reading.detail = "no features to compare yet"
            return
        }
        // Several p-values: Bonferroni, so the monitor's α holds for the whole family.
        let family = Double(pairs.count)
        func threshold(_ thresholds: Thresholds) -> Double? {
            guard test?.yieldsPValue == true else { return thresholds.max }
            return thresholds.min.map { $0 / family }
        }
        var scores: [DriftScore] = []
        var critical = false
        for pair in pairs {
            let observed = currentData(current, name: pair.currentName, like: pair.reference)
            do {
                let score = try DriftComparator.score(
                    feature: pair.name, reference: pair.reference, current: observed, test: test,
                    threshold: threshold(question.thresholds), minCount: question.minSamples)
                scores.append(score)
                if let tier = question.critical, score.verdict == .drift {
                    let strict = try DriftComparator.score(
                        feature: pair.name, reference: pair.reference, current: observed, test: test,
                        threshold: threshold(tier), minCount: question.minSamples)
                    if strict.verdict == .drift { critical = true }
                }
            } catch {
                reading.verdict = .error
                reading.detail = error.description
                return
            }
        }
        reading.samples = scores.map(\.currentCount).min() ?? 0
        reading.features = scores.map { MonitorReading.FeatureScore(feature: $0.feature, value: $0.value, threshold: $0.threshold, drift: $0.verdict == .drift) }
        reading.estimated = scores.contains { $0.errorBound != nil }
        let judged = scores.filter { $0.verdict != .insufficientData }
        if let worst = judged.max(by: { severity($0) < severity($1) }) {
            reading.value = worst.value
            reading.errorBound = worst.errorBound
            reading.comparator = worst.comparator
            reading.threshold = worst.threshold
        }
        if judged.isEmpty {
            reading.verdict = .insufficientData
        } else if judged.contains(where: { $0.verdict == .drift }) {
            reading.verdict = critical ? .critical : .breach
        } else if judged.count < scores.count {
            // A quiet feature cannot vouch for one without data.
            reading.verdict = .insufficientData
        } else {
            reading.verdict = .ok
        }
        reading.detail = scores.prefix(12).map(describe).joined(separator: "; ")
            + (scores.count > 12 ? "; and \(scores.count - 12) more" : "")
            + (pairs.count > 1 && test?.yieldsPValue == true ? " (Bonferroni over \(pairs.count) features)" : "")
    }

    /// How far past its threshold a score is (above 1 means drift).
    private static func severity(_ score: DriftScore) -> Double {
        guard let value = score.value else { return 0 }
        if score.isJudgedByPValue { return value > 0 ? score.threshold / value : .infinity }
        return score.threshold > 0 ? value / score.threshold : value
    }

    /// `amount psi 0.31 ≥ max 0.2 (drift, n=500)`, `amount ks p=0.2 > α 0.05 (no drift, n=500)`:
    /// the score against the threshold it was judged by.
    private static func describe(_ score: DriftScore) -> String {
        let value = score.value.map { format($0) } ?? "–"
        var text = "\(score.feature) \(score.test.rawValue) \(score.isJudgedByPValue ? "p=" : "")\(value)"
        if let bound = score.errorBound { text += " ±\(format(bound))" }
        if score.value != nil, score.verdict != .insufficientData {
            let drift = score.verdict == .drift
            text += score.isJudgedByPValue
                ? (drift ? " ≤ α " : " > α ") + format(score.threshold)
                : (drift ? " ≥ max " : " < max ") + format(score.threshold)
        }
        text += " (\(score.verdict.rawValue.replacingUnderscores()), n=\(score.currentCount)"
        if score.judgedBy != "p-value" && score.judgedBy != "distance" { text += ", \(score.judgedBy)" }
        return text + ")"
    }

    private static func currentData(_ sketches: FeatureSketches, name: String, like reference: FeatureData) -> FeatureData {
        switch reference.kind {
        case .numeric: return .numericSketch(sketches.numeric[name] ?? QuantileSketch())
        case .categorical: return .categoricalSketch(sketches.categorical[name] ?? FrequentItems())
        }
    }

    private static func features(of sketches: FeatureSketches) -> [String: FeatureData] {
        var features: [String: FeatureData] = [:]
        for (name, sketch) in sketches.numeric { features[name] = .numericSketch(sketch) }
        for (name, items) in sketches.categorical where features[name] == nil { features[name] = .categoricalSketch(items) }
        return features
    }

    /// Four decimals, or Swift's shortest form for tiny values (p-values of 1e-12 matter).
    public static func format(_ value: Double) -> String {
        if value != 0, abs(value) < 0.001 { return String(value) }
        return JSONValue.number((value * 10_000).rounded() / 10_000).serialized()
    }

    private static func percent(_ fraction: Double) -> String { format(fraction * 100) + "%" }
}

extension Metric {
    /// The quantile a latency metric reads (0.5 for `latency_p50_ms`).
    public var latencyQuantile: Double {
        switch self {
        case .latencyP50: return 0.5
        case .latencyP90: return 0.9
        case .latencyP95: return 0.95
        case .latencyP99: return 0.99
        default: return 0.5
        }
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { String(map { $0 == "_" ? " " : $0 }) }
}
