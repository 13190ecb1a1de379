import Foundation
import SluiceCore
import Testing

/// Monitor evaluation, tiers and windows: what a user sees in readings and alerts.
@Suite("monitors", .timeLimit(.minutes(10)))
struct MonitorCoreTests {
    /// A bucket of `requests` requests of which `errors` failed, with latencies 1…n ms.
    static func bucket(
        version: String = "v1", start: Int64 = 0, seconds: Int = 60, requests: Int = 0, errors: Int = 0,
        inputs: [String: [Double]] = [:], categories: [String: [String]] = [:], outputs: [String: [Double]] = [:]
    ) -> MonitoringBucket {
        var bucket = MonitoringBucket(model: "fraud", version: version, start: start, seconds: seconds)
        bucket.requests = requests
        bucket.errors = errors
        for index in 0..<requests { bucket.latencyMs.insert(Double(index + 1)) }
        bucket.inputs.insert(inputs.map { ($0.key, $0.value.map(FeatureValue.number)) })
        bucket.inputs.insert(categories.map { ($0.key, $0.value.map(FeatureValue.category)) })
        bucket.outputs.insert(outputs.map { ($0.key, $0.value.map(FeatureValue.number)) })
        return bucket
    }

    static func normal(_ count: Int, mean: Double, sd: Double, seed: UInt64) -> [Double] {
        var state = seed
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Double(state >> 11) + 0.5) / Double(1 << 53)
        }
        var values: [Double] = []
        for _ in 0..<count {
            let radius: Double = (-2 * Foundation.log(uniform())).squareRoot()
            let angle: Double = 2 * Double.pi * uniform()
            values.append(mean + sd * radius * Foundation.cos(angle))
        }
        return values
    }

    @Test("error rate: value, samples, breach and the critical tier; too few requests is insufficient data, never ok")
    func errorRate() {
        let question = MonitorEvaluator.Question(
            name: "errors", metric: .errorRate, thresholds: Thresholds(max: 0.05), critical: Thresholds(max: 0.2), minSamples: 100)
        let ok = MonitorEvaluator.evaluate(question, window: Self.bucket(requests: 200, errors: 2), reference: .none)
        #expect(ok.verdict == .ok)
        #expect(ok.value == 0.01)
        #expect(ok.samples == 200)
        #expect(ok.comparator == ">")
        #expect(ok.threshold == 0.05 && ok.criticalThreshold == 0.2)
        #expect(MonitorEvaluator.evaluate(question, window: Self.bucket(requests: 200, errors: 20), reference: .none).verdict == .breach)
        #expect(MonitorEvaluator.evaluate(question, window: Self.bucket(requests: 200, errors: 80), reference: .none).verdict == .critical)
        let thin = MonitorEvaluator.evaluate(question, window: Self.bucket(requests: 50, errors: 40), reference: .none)
        #expect(thin.verdict == .insufficientData)
        #expect(thin.detail.contains("50 samples, 100 needed"))
    }

    @Test("latency quantile from the sketch, exact while small")
    func latency() {
        let question = MonitorEvaluator.Question(name: "p99", metric: .latencyP99, thresholds: Thresholds(max: 50), minSamples: 10)
        let reading = MonitorEvaluator.evaluate(question, window: Self.bucket(requests: 100), reference: .none)
        #expect(reading.estimated == false)
        #expect((reading.value ?? 0) >= 98 && (reading.value ?? 0) <= 100)
        #expect(reading.verdict == .breach)
        #expect(reading.isCertainBreach)
    }

    @Test("accuracy and MAE from joined labels; the detail states the value against the threshold, then the labels and their coverage")
    func groundTruth() {
        var window = Self.bucket(requests: 40)
        window.labels.predictions = 40
        for index in 0..<30 {
            window.labels.add(label: .category(index < 24 ? "fraud" : "legit"), prediction: .category("fraud"))
        }
        let accuracy = MonitorEvaluator.evaluate(
            MonitorEvaluator.Question(name: "acc", metric: .accuracy, thresholds: Thresholds(min: 0.9), minSamples: 20),
            window: window, reference: .none)
        #expect(accuracy.value == 0.8)
        #expect(accuracy.samples == 30)
        #expect(accuracy.verdict == .breach)
        #expect(accuracy.comparator == "<")
        #expect(accuracy.detail == "accuracy 0.8 < min 0.9 (30 labels for 40 predictions, label coverage 75%)", "the value against the threshold (issue 16)")

        var regression = LabelTally()
        regression.add(label: .number(10), prediction: .number(12))
        regression.add(label: .number(5), prediction: .number(4))
        regression.add(label: .category("1"), prediction: .number(1))
        #expect(regression.meanAbsoluteError == 1.5)
        #expect(regression.matched == 1, "\"1\" equals 1 by its text")
        #expect(regression.accuracy == 1.0 / 3.0)
    }

    @Test("input drift against a baseline: shifted inputs breach, like ones pass, absent features are errors")
    func inputDrift() throws {
        let training = Self.normal(5000, mean: 100, sd: 20, seed: 1)
        let baseline: [String: FeatureData] = ["amount": .numericSample(training), "contract": .categorical(counts: ["monthly": 700, "annual": 300])]
        let question = MonitorEvaluator.Question(
            name: "amount-drift", metric: .inputDrift, inputs: ["amount"], test: .psi, thresholds: Thresholds(max: 0.2),
            critical: Thresholds(max: 1.0), minSamples: 100)
        let like = MonitorEvaluator.evaluate(
            question, window: Self.bucket(inputs: ["amount": Self.normal(2000, mean: 100, sd: 20, seed: 2)]), reference: .baseline(baseline))
        #expect(like.verdict == .ok, "\(like.detail)")
        #expect((like.value ?? 1) < 0.05)
        let shifted = MonitorEvaluator.evaluate(
            question, window: Self.bucket(inputs: ["amount": Self.normal(2000, mean: 130, sd: 20, seed: 3)]), reference: .baseline(baseline))
        #expect(shifted.verdict == .breach || shifted.verdict == .critical, "\(shifted.detail)")
        #expect((shifted.value ?? 0) >= 0.2)
        #expect(shifted.detail.contains("amount psi"))
        let far = MonitorEvaluator.evaluate(
            question, window: Self.bucket(inputs: ["amount": Self.normal(2000, mean: 300, sd: 20, seed: 4)]), reference: .baseline(baseline))
        #expect(far.verdict == .critical)

        let thin = MonitorEvaluator.evaluate(
            question, window: Self.bucket(inputs: ["amount": Self.normal(20, mean: 300, sd: 20, seed: 5)]), reference: .baseline(baseline))
        #expect(thin.verdict == .insufficientData, "20 values never pass as no drift")

        var missing = question
        missing.inputs = ["tenure"]
        let absent = MonitorEvaluator.evaluate(missing, window: Self.bucket(inputs: ["amount": training]), reference: .baseline(baseline))
        #expect(absent.verdict == .error)
        #expect(absent.detail.contains("no feature 'tenure'"))
        #expect(absent.detail.contains("amount, contract"))

        let noReference = MonitorEvaluator.evaluate(question, window: Self.bucket(inputs: ["amount": training]), reference: .unavailable("baseline x.json does not exist"))
        #expect(noReference.verdict == .error)
        #expect(noReference.detail == "baseline x.json does not exist")
    }

    @Test("several features with a p-value test: Bonferroni keeps the monitor's α for the family")
    func bonferroni() {
        let reference = Self.bucket(inputs: ["a": Self.normal(3000, mean: 0, sd: 1, seed: 10), "b": Self.normal(3000, mean: 0, sd: 1, seed: 11)])
        let current = Self.bucket(inputs: ["a": Self.normal(3000, mean: 0, sd: 1, seed: 12), "b": Self.normal(3000, mean: 0.3, sd: 1, seed: 13)])
        let question = MonitorEvaluator.Question(name: "all", metric: .inputDrift, test: .ks, thresholds: Thresholds(min: 0.05), minSamples: 100)
        let reading = MonitorEvaluator.evaluate(question, window: current, reference: .live(reference))
        #expect(reading.verdict == .breach, "\(reading.detail)")
        #expect(reading.detail.contains("Bonferroni over 2 features"))
        #expect(reading.threshold == 0.025)
    }

    @Test("prediction drift against the stable version's live window")
    func predictionDriftAgainstStable() {
        let stable = Self.bucket(version: "v1", outputs: ["score": Self.normal(1000, mean: 0.2, sd: 0.05, seed: 20)])
        let same = Self.bucket(version: "v2", outputs: ["score": Self.normal(1000, mean: 0.2, sd: 0.05, seed: 21)])
        let moved = Self.bucket(version: "v2", outputs: ["score": Self.normal(1000, mean: 0.35, sd: 0.05, seed: 22)])
        let question = MonitorEvaluator.Question(name: "pred", metric: .predictionDrift, test: .psi, thresholds: Thresholds(max: 0.2), minSamples: 100)
        #expect(MonitorEvaluator.evaluate(question, window: same, reference: .live(stable)).verdict == .ok)
        let reading = MonitorEvaluator.evaluate(question, window: moved, reference: .live(stable))
        #expect(reading.verdict == .breach)
        #expect(reading.version == "v2")
    }

    @Test("tiers fire after their windows in a row, once per episode; insufficient data neither fires nor resolves")
    func tracker() {
        let monitor = Monitor(
            name: "errors", metric: .errorRate, thresholds: Thresholds(max: 0.05), consecutiveWindows: 2, action: .alert,
            critical: MonitorTier(thresholds: Thresholds(max: 0.2), consecutiveWindows: 1, action: .rollback))
        func reading(_ verdict: MonitorReading.Verdict) -> MonitorReading {
            MonitorReading(
                monitor: "errors", version: "v1", windowStart: 0, windowEnd: 60, value: 0.1, threshold: 0.05, criticalThreshold: 0.2,
                comparator: ">", samples: 100, errorBound: nil, estimated: false, verdict: verdict, detail: "")
        }
        var status: MonitorStatus?
        var fired: [String] = []
        for verdict in [MonitorReading.Verdict.breach, .insufficientData, .breach, .breach, .critical, .critical, .insufficientData, .ok, .ok] {
            let (next, firings) = MonitorTracker.observe(reading(verdict), monitor: monitor, status: status)
            status = next
            fired += firings.map { "\($0.kind.rawValue):\($0.severity.rawValue):\($0.action.rawValue)" }
        }
        #expect(fired == ["firing:warning:alert", "firing:critical:rollback", "resolved:critical:alert"])
        #expect(status?.firing == nil)
        #expect(status?.breachStreak == 0)
    }

    @Test("windows add buckets by aligned start and close once every bucket is collected; late buckets are counted, not merged")
    func windows() {
        var windows = MonitorWindows()
        for start in stride(from: Int64(1000), to: 1020, by: 10) {
            windows.add(Self.bucket(start: start, seconds: 10, requests: 5), lengths: [30])
        }
        #expect(windows.close(collectedUntil: 1019).isEmpty, "1000 is not a multiple of 30: the window is [990, 1020)")
        let first = windows.close(collectedUntil: 1020)
        #expect(first.map(\.start) == [990])
        #expect(first.first?.requests == 10)
        #expect(first.first?.seconds == 30)
        // A bucket of the next window means the previous one has all of its buckets.
        for start in stride(from: Int64(1020), to: 1060, by: 10) {
            windows.add(Self.bucket(start: start, seconds: 10, requests: 5), lengths: [30])
        }
        let second = windows.close(collectedUntil: 1055)
        #expect(second.map(\.start) == [1020])
        #expect(second.first?.requests == 15)
        windows.add(Self.bucket(start: 1010, seconds: 10, requests: 5), lengths: [30])
        #expect(windows.lateBuckets == 1)
        #expect(windows.close(collectedUntil: 1080).map(\.requests) == [5], "the late bucket did not reopen [990, 1020)")
    }

    @Test("buckets round-trip through JSON; a malformed one names the field")
    func bucketJSON() throws {
        var bucket = Self.bucket(requests: 3, errors: 1, inputs: ["amount": [1, 2, 3]], categories: ["contract": ["a", "b"]])
        bucket.labels.add(label: .number(1), prediction: .number(1))
        let decoded = try MonitoringBucket(json: bucket.jsonValue(), path: "bucket")
        #expect(decoded == bucket)
        var broken = bucket.jsonValue()
        if case .object(var members) = broken {
            members = members.map { $0.0 == "labels" ? ("labels", .object([("predictions", .int(-1))])) : $0 }
            broken = .object(members)
        }
        #expect(throws: SketchDecodingError(path: "bucket.labels.predictions", message: "expected a count (an integer ≥ 0)")) {
            try MonitoringBucket(json: broken, path: "bucket")
        }
    }

    @Test("feedback bodies: one label, a batch's labels, a list; errors name the field")
    func feedbackParsing() throws {
        let one = try Feedback.parse(try JSONParser.parse(#"{"request_id":"r1","label":1}"#))
        #expect(one == [Feedback(requestID: "r1", labels: [.number(1)])])
        let batch = try Feedback.parse(try JSONParser.parse(#"{"request_id":"r2","labels":["a",true]}"#))
        #expect(batch.first?.labels == [.category("a"), .category("true")])
        let list = try Feedback.parse(try JSONParser.parse(#"{"feedback":[{"request_id":"a","label":0},{"request_id":"b","label":2.5}]}"#))
        #expect(list.map(\.requestID) == ["a", "b"])
        for (body, message) in [
            (#"[1]"#, "expected a JSON object with request_id and label, or a feedback list"),
            (#"{"label":1}"#, "request_id: expected the x-request-id of the prediction (a string of 1 to 256 bytes)"),
            (#"{"request_id":"a"}"#, "label: missing; expected the true label (a number, string or boolean)"),
            (#"{"request_id":"a","label":null}"#, "label: expected a number, string or boolean label"),
            (#"{"request_id":"a","label":1,"labels":[1]}"#, "labels: give label or labels, not both"),
            (#"{"request_id":"a","lable":1}"#, "lable: unknown field; expected request_id and label (or labels)"),
            (#"{"feedback":[]}"#, "feedback: expected a non-empty list of {request_id, label} objects"),
            (#"{"feedback":[{"request_id":"a","label":1},{"request_id":"b","labels":[]}]}"#, "feedback[1].labels: expected a non-empty list with one label per predicted row"),
        ] {
            do {
                _ = try Feedback.parse(try JSONParser.parse(body))
                Issue.record("accepted \(body)")
            } catch let problem as Feedback.Problem {
                #expect(problem.description == message)
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}
