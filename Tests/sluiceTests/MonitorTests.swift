import Foundation
import SluiceTestSupport
import SluiceCore
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Monitors end to end: real `sluice serve` and `sluice controller`, real model servers,
/// and a real webhook receiver on loopback. Buckets are 1 s and windows a few seconds, so
/// each test sees several windows close.
@Suite("monitors", .serialized, .timeLimit(.minutes(10)))
struct MonitorTests {
    static let receiverScript = SluiceBinary.packageRoot.appendingPathComponent("examples/webhook_receiver.py").path

    /// A harness with 1 s buckets, 1 s monitor collection and both webhooks pointing at a receiver.
    static func harness() async throws -> (ControllerHarness, WebhookReceiver) {
        let receiverPort = freePortBlock(in: 27000..<32700, size: 1)
        let harness = try ControllerHarness(
            interval: "30s",
            serveExtra: "  monitoring:\n    bucket: 1s\n    retain: 2m",
            controllerExtra: """
                  monitors:
                    interval: 1s
                    alertWebhook: http://127.0.0.1:\(receiverPort)/alerts
                    retrainWebhook: http://127.0.0.1:\(receiverPort)/retrain
                """)
        let receiver = try await WebhookReceiver.start(port: receiverPort, directory: harness.directory)
        return (harness, receiver)
    }

    /// A baseline of the fraud model's inputs with amount around `amount`.
    static func fraudBaseline(amount: Double) throws -> String {
        var generator = SystemRandomNumberGenerator()
        var csv = "amount,merchant_risk,hour,distance_km\n"
        for _ in 0..<2000 {
            let row = FraudRequest.random(amount: amount, using: &generator)
            csv += "\(row.amount),\(row.merchantRisk),\(row.hour),\(row.distance)\n"
        }
        let table = try CSVReader.read(Array(csv.utf8), file: "training.csv")
        return DriftBaseline.build(from: table, source: "training.csv").jsonValue().serialized(indent: 1)
    }

    @Test("shifted inputs fire the drift alert webhook within a window, with the model, version, values, thresholds and commit")
    func inputDriftAlert() async throws {
        let (harness, receiver) = try await Self.harness()
        defer { receiver.stop() }
        let manifest = ControllerHarness.fraud([("v1", "fraud-v2.1.json")], traffic: ["v1": 100]) + """
              monitors:
                - name: amount-drift
                  metric: input_drift
                  inputs: [amount]
                  test: psi
                  reference: baselines/fraud-inputs.json
                  max: 0.2
                  window: 3s
                  minSamples: 120
                  action: alert

            """
        let commit = try harness.repo.commit("fraud with a drift monitor", files: [
            "manifests/fraud.yaml": manifest, "baselines/fraud-inputs.json": try Self.fraudBaseline(amount: 100),
        ])
        try harness.start("serve")
        try harness.start("controller")
        defer { harness.forceStop("controller"); harness.forceStop("serve") }
        try await harness.waitFor(health: "Healthy")

        // Inputs like the training data until a window is judged on enough samples: "ok", not
        // insufficient_data (which raises no alert either, and so would prove nothing). Six
        // clients keep minSamples in a 3 s window on a slow machine (three gave 30-36 samples a
        // window in a loaded CI run, answers taking ~250 ms each).
        let quietLoad = Task { try await FraudRequest.send(harness, clients: 6, count: 100_000, amount: 100, pace: .milliseconds(10)) }
        try await harness.waitUntil("an ok reading of amount-drift", seconds: 180) {
            try await Self.latest(harness, "amount-drift")?["verdict"] as? String == "ok"
        }
        quietLoad.cancel()
        _ = await quietLoad.result
        let quiet = try #require(try await Self.latest(harness, "amount-drift"))
        #expect((quiet["samples"] as? Int ?? 0) >= 120, "\(quiet)")
        // An alert is posted before the reading that follows it is published, so none came.
        #expect(receiver.records().isEmpty, "no alert for unshifted inputs: \(receiver.records())")
        #expect(try await !harness.history().contains("monitorFiring"))

        // Amounts three times larger: the alert arrives within a window or two.
        let shifted = Task { try await FraudRequest.send(harness, count: 2000, amount: 300, pace: .milliseconds(10)) }
        defer { shifted.cancel() }
        try await harness.waitUntil("the drift alert", seconds: 30) { !receiver.records().isEmpty }
        let alert = try #require(receiver.records().first)
        #expect(alert["path"] as? String == "/alerts")
        let body = try #require(alert["body"] as? [String: Any])
        #expect(body["kind"] as? String == "sluice.monitor")
        #expect(body["status"] as? String == "firing")
        #expect(body["model"] as? String == "fraud")
        #expect(body["version"] as? String == "v1")
        #expect(body["monitor"] as? String == "amount-drift")
        #expect(body["metric"] as? String == "input_drift")
        #expect(body["threshold"] as? Double == 0.2)
        #expect((body["value"] as? Double ?? 0) >= 0.2, "\(body)")
        #expect(body["commit"] as? String == commit)
        #expect((body["detail"] as? String)?.contains("amount psi") == true, "\(body)")
        #expect((body["window"] as? [String: Any])?["seconds"] as? Int == 3)
        #expect((body["samples"] as? Int ?? 0) >= 120)
        #expect(try await harness.history().contains("monitorFiring"))

        // `sluice status` shows the monitor's value, threshold and verdict.
        let status = try await harness.cli(["status", "fraud"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("amount-drift"), "\(status.stdout)")
        #expect(status.stdout.contains("> 0.2") || status.stdout.contains("≥ 0.2"), "\(status.stdout)")
    }

    @Test("labels posted to the feedback endpoint produce the accuracy figure and its label coverage; a low one alerts")
    func accuracyFromFeedback() async throws {
        let (harness, receiver) = try await Self.harness()
        defer { receiver.stop() }
        let manifest = ControllerHarness.fraud([("v1", "fraud-v2.1.json")], traffic: ["v1": 100]) + """
              monitors:
                - name: accuracy-floor
                  metric: accuracy
                  min: 0.9
                  window: 3s
                  minSamples: 20
                  severity: critical
                  action: alert

            """
        try harness.repo.commit("fraud with an accuracy monitor", files: ["manifests/fraud.yaml": manifest])
        try harness.start("serve")
        try harness.start("controller")
        defer { harness.forceStop("controller"); harness.forceStop("serve") }
        try await harness.waitFor(health: "Healthy")

        // Answer, then label 3 of every 4 predictions: 2 right, 1 wrong (accuracy 2/3).
        var feedback: [[String: Any]] = []
        var generator = SystemRandomNumberGenerator()
        for index in 0..<120 {
            let answer = try await FraudRequest.random(amount: 100, using: &generator).infer(harness)
            #expect(answer.status == 200)
            guard index % 4 != 3, let id = answer.requestID, let label = answer.prediction else { continue }
            let truth = index % 4 == 2 ? (label == "fraud" ? "legit" : "fraud") : label
            feedback.append(["request_id": id, "label": truth])
        }
        let posted = try await Self.postFeedback(harness, ["feedback": feedback])
        #expect(posted.status == 200)
        #expect(posted.body["accepted"] as? Int == 90, "\(posted.body)")
        // A label counts once; an unknown request id is reported, not counted.
        let again = try await Self.postFeedback(harness, ["feedback": [feedback[0], ["request_id": "no-such-request", "label": "fraud"]]])
        #expect(again.body["accepted"] as? Int == 0)
        let firstID = try #require(feedback.first?["request_id"] as? String)
        #expect(again.body["duplicates"] as? [String] == [firstID])
        #expect(again.body["unknown"] as? [String] == ["no-such-request"])
        // Malformed feedback is refused with the field named.
        let bad = try await Self.postFeedback(harness, ["feedback": [["request_id": "x"]]])
        #expect(bad.status == 400)
        #expect((bad.body["error"] as? String)?.contains("feedback[0].label") == true, "\(bad.body)")

        try await harness.waitUntil("the accuracy alert", seconds: 30) { !receiver.records().isEmpty }
        let body = try #require(receiver.records().first?["body"] as? [String: Any])
        #expect(body["monitor"] as? String == "accuracy-floor")
        #expect(body["severity"] as? String == "critical")
        let accuracy = try #require(body["value"] as? Double)
        #expect(abs(accuracy - 2.0 / 3.0) < 1e-9, "\(body)")
        #expect((body["detail"] as? String)?.contains("label coverage") == true, "\(body)")
        // The samples of the window that fired (a later window, without labels, may be the
        // latest reading by now).
        #expect(body["samples"] as? Int == 90, "\(body)")
    }

    @Test("a canary whose predictions differ from stable is aborted by a prediction-drift check")
    func canaryPredictionDrift() async throws {
        let (harness, receiver) = try await Self.harness()
        defer { receiver.stop() }
        // The same inputs, a model that says "fraud" far more often.
        var shifted = try String(contentsOf: SluiceBinary.packageRoot.appendingPathComponent("examples/models/fraud-v2.1.json"), encoding: .utf8)
        shifted = shifted.replacingOccurrences(of: "\"intercept\": -4.6", with: "\"intercept\": 1.5")
        #expect(shifted.contains("1.5"))
        try harness.repo.commit("fraud v1", files: [
            "manifests/fraud.yaml": ControllerHarness.fraud([("v1", "fraud-v2.1.json")], traffic: ["v1": 100]),
            "models/fraud-shifted.json": shifted,
        ])
        try harness.start("serve")
        try harness.start("controller")
        defer { harness.forceStop("controller"); harness.forceStop("serve") }
        try await harness.waitFor(health: "Healthy")
        let load = Task { try await FraudRequest.send(harness, count: 100_000, amount: 100, pace: .milliseconds(10)) }
        defer { load.cancel() }
        // Distribution checks read whole 10 s monitoring buckets: an interval longer than one
        // bucket always holds a whole one, so the first analysis is never thin on a slow machine
        // (thin data is Inconclusive, which waits for a person).
        let canary = """
              rollout:
                steps:
                  - weight: 50
                  - pause: 30s
                analysis:
                  interval: 12s
                  minRequests: 30
                  checks:
                    - metric: prediction_drift
                      test: psi
                      max: 0.2
                      against: stable

            """
        try harness.repo.commit("fraud v2 (shifted predictions)", files: ["manifests/fraud.yaml": ControllerHarness.fraud(
            [("v1", "fraud-v2.1.json"), ("v2", "fraud-shifted.json")], traffic: ["v1": 0, "v2": 100], rollout: canary)])
        try await harness.waitForAnalysisAbort(seconds: 60)
        let state = try await harness.model()
        #expect((state["stable"] as? [String: Any])?["version"] as? String == "v1")
        let failed = (state["measurements"] as? [[String: Any]] ?? []).filter { $0["verdict"] as? String == "Failed" }
        let drift = try #require(failed.first { ($0["metric"] as? String)?.hasPrefix("prediction_drift") == true }, "\(state)")
        #expect((drift["value"] as? Double ?? 0) >= 0.2, "\(drift)")
        #expect((drift["detail"] as? String)?.contains("predict") == true, "\(drift)")
        // The abort is recorded before the data plane's route is replaced: wait for that, then
        // every request is stable's.
        try await harness.waitUntil("the route is back on v1", seconds: 30) {
            try await FraudRequest.random(amount: 100).infer(harness).version == "v1"
        }
        for _ in 0..<10 { #expect(try await FraudRequest.random(amount: 100).infer(harness).version == "v1") }
    }

    @Test("retrain waits for `sluice approve`, then calls the retraining webhook with the evidence, once")
    func retrainNeedsApproval() async throws {
        let (harness, receiver) = try await Self.harness()
        defer { receiver.stop() }
        let manifest = ControllerHarness.fraud([("v1", "fraud-bad.json")], traffic: ["v1": 100]) + """
              monitors:
                - name: errors
                  metric: error_rate
                  max: 0.05
                  window: 2s
                  minSamples: 20
                  action: retrain

            """
        try harness.repo.commit("a failing model with a retrain monitor", files: ["manifests/fraud.yaml": manifest])
        try harness.start("serve")
        try harness.start("controller")
        defer { harness.forceStop("controller"); harness.forceStop("serve") }
        try await harness.waitFor(health: "Healthy")
        let load = Task { try await FraudRequest.send(harness, count: 100_000, amount: 100, pace: .milliseconds(10), allowErrors: true) }
        defer { load.cancel() }

        try await harness.waitUntil("retrain awaiting approval", seconds: 30) {
            try await harness.history().contains("retrainAwaitingApproval")
        }
        #expect(!receiver.records().contains { $0["path"] as? String == "/retrain" }, "no retraining without approval")

        let unknown = try await harness.cli(["approve", "fraud", "--monitor", "nope"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("has no monitor nope"), "\(unknown.stderr)")

        let approved = try await harness.cli(["approve", "fraud", "--monitor", "errors"])
        #expect(approved.status == 0, "\(approved.stderr)")
        try await harness.waitUntil("the retraining request", seconds: 30) {
            receiver.records().contains { $0["path"] as? String == "/retrain" }
        }
        // "Once": the monitor keeps breaching; a repeat would come with a later window, so
        // wait until three more windows of 2 s have been judged before counting.
        let first = try #require(receiver.records().first { $0["path"] as? String == "/retrain" }?["body"] as? [String: Any])
        let firstWindowEnd = try #require((first["window"] as? [String: Any])?["end"] as? Int, "\(first)")
        try await harness.waitUntil("three more windows of errors judged", seconds: 120) {
            (try await Self.latest(harness, "errors")?["windowEnd"] as? Int ?? 0) >= firstWindowEnd + 6
        }
        let requests = receiver.records().filter { $0["path"] as? String == "/retrain" }
        #expect(requests.count == 1, "\(requests)")
        #expect(try await harness.history().filter { $0 == "retrainRequested" }.count == 1)
        let body = try #require(requests.first?["body"] as? [String: Any])
        #expect(body["kind"] as? String == "sluice.retrain")
        #expect(body["monitor"] as? String == "errors")
        #expect((body["approval"] as? [String: Any])?["by"] != nil)
        #expect(!(body["evidence"] as? [[String: Any]] ?? []).isEmpty, "\(body)")
        let history = try await harness.history()
        #expect(history.contains("retrainApproved"))
        #expect(history.contains("retrainRequested"))
    }

    @Test("a monitor with action rollback aborts a canary that breaches it, and onAbort: revert writes the revert commit")
    func monitorRollbackAbortsCanary() async throws {
        let (harness, receiver) = try await Self.harness()
        defer { receiver.stop() }
        let monitors = """
              monitors:
                - name: errors
                  metric: error_rate
                  max: 0.1
                  window: 2s
                  minSamples: 10
                  action: rollback

            """
        try harness.repo.commit("fraud v1", files: [
            "manifests/fraud.yaml": ControllerHarness.fraud([("v1", "fraud-v2.1.json")], traffic: ["v1": 100]) + monitors,
        ])
        try harness.start("serve")
        try harness.start("controller")
        defer { harness.forceStop("controller"); harness.forceStop("serve") }
        try await harness.waitFor(health: "Healthy")
        let load = Task { try await FraudRequest.send(harness, count: 100_000, amount: 100, pace: .milliseconds(10), allowErrors: true) }
        defer { load.cancel() }
        // No analysis: only the monitor can stop this canary (half of v2's answers are 500s).
        let canary = """
              rollout:
                steps:
                  - weight: 50
                  - pause: 5m
                onAbort: revert

            """
        let bad = try harness.repo.commit("fraud v2 (bad)", files: ["manifests/fraud.yaml": ControllerHarness.fraud(
            [("v1", "fraud-v2.1.json"), ("v2", "fraud-bad.json")], traffic: ["v1": 0, "v2": 100], rollout: canary) + monitors])
        // The abort, then the revert commit (after which git and traffic agree again on v1).
        try await harness.waitUntil("a revert commit", seconds: 60) {
            try harness.repo.git(["log", "-1", "--format=%s"]).hasPrefix("Revert \"fraud v2 (bad)\" for fraud")
        }
        #expect(try harness.repo.git(["log", "-1", "--format=%b"]).contains("This reverts commit \(bad)"))
        for _ in 0..<10 { #expect(try await FraudRequest.random(amount: 100).infer(harness).version == "v1") }
        let events = try await harness.get("/v1/models/fraud/history")["events"] as? [[String: Any]] ?? []
        let kinds = events.compactMap { $0["kind"] as? String }
        #expect(kinds.contains("monitorFiring"))
        #expect(kinds.contains("reverted"))
        let aborted = try #require(events.first { $0["kind"] as? String == "aborted" })
        #expect((aborted["message"] as? String)?.contains("MonitorFired: monitor errors") == true, "\(aborted)")
        let alert = try #require(receiver.records().first { ($0["body"] as? [String: Any])?["version"] as? String == "v2" }?["body"] as? [String: Any])
        #expect(alert["action"] as? String == "rollback")
    }

    // MARK: - helpers

    static func latest(_ harness: ControllerHarness, _ monitor: String) async throws -> [String: Any]? {
        let monitors = try await harness.model()["monitors"] as? [[String: Any]] ?? []
        return monitors.first { $0["name"] as? String == monitor }?["latest"] as? [String: Any]
    }

    static func postFeedback(_ harness: ControllerHarness, _ body: [String: Any]) async throws -> (status: Int, body: [String: Any]) {
        var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(harness.servePort)/v2/models/fraud/feedback")))
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        // Feedback needs the data plane's generated feedback token.
        let token = try String(contentsOf: harness.directory.appendingPathComponent("state/serve/feedback-token"), encoding: .utf8)
        request.setValue("Bearer \(token.trimmingCharacters(in: .whitespacesAndNewlines))", forHTTPHeaderField: "Authorization")
        let (data, response) = try await ServeHarness.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return (http.statusCode, (try JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:])
    }
}

/// One fraud-model request with named inputs (one tensor per feature, as monitors name them).
struct FraudRequest {
    var amount: Double
    var merchantRisk: Double
    var hour: Double
    var distance: Double

    static func random(amount: Double) -> FraudRequest {
        var generator = SystemRandomNumberGenerator()
        return random(amount: amount, using: &generator)
    }

    static func random(amount center: Double, using generator: inout some RandomNumberGenerator) -> FraudRequest {
        FraudRequest(
            amount: (center * Double.random(in: 0.6...1.4, using: &generator) * 100).rounded() / 100,
            merchantRisk: (Double.random(in: 0...1, using: &generator) * 1000).rounded() / 1000,
            hour: Double(Int.random(in: 0...23, using: &generator)),
            distance: (Double.random(in: 0...50, using: &generator) * 10).rounded() / 10)
    }

    var body: Data {
        let tensors = [("amount", amount), ("merchant_risk", merchantRisk), ("hour", hour), ("distance_km", distance)].map {
            #"{"name":"\#($0.0)","shape":[1],"datatype":"FP64","data":[\#($0.1)]}"#
        }
        return Data(#"{"inputs":[\#(tensors.joined(separator: ","))]}"#.utf8)
    }

    struct Answer {
        var status: Int
        var version: String?
        var requestID: String?
        var prediction: String?
    }

    func infer(_ harness: ControllerHarness) async throws -> Answer {
        var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(harness.servePort)/v2/models/fraud/infer")))
        request.httpMethod = "POST"
        request.httpBody = body
        let (data, response) = try await ServeHarness.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var prediction: String?
        if let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let outputs = json["outputs"] as? [[String: Any]], let first = outputs.first(where: { $0["name"] as? String == "predict" }) {
            prediction = (first["data"] as? [Any])?.first.map { "\($0)" }
        }
        return Answer(
            status: http.statusCode, version: http.value(forHTTPHeaderField: "x-sluice-version"),
            requestID: http.value(forHTTPHeaderField: "x-request-id"), prediction: prediction)
    }

    /// Sends `count` requests around `amount` from each of `clients` concurrent clients, each
    /// pausing `pace` between its requests.
    static func send(
        _ harness: ControllerHarness, clients: Int = 1, count: Int, amount: Double, pace: Swift.Duration, allowErrors: Bool = false
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var generator = SystemRandomNumberGenerator()
                    for _ in 0..<count {
                        try Task.checkCancellation()
                        let answer = try await random(amount: amount, using: &generator).infer(harness)
                        if !allowErrors, answer.status != 200 { throw HarnessError("inference answered \(answer.status)") }
                        try await Task.sleep(for: pace)
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

/// `webhook_receiver.py` on a loopback port, recording every POST.
final class WebhookReceiver: @unchecked Sendable {
    let output: URL
    private let process = SpawnedProcess()

    private init(port: Int, directory: URL) {
        output = directory.appendingPathComponent("webhooks-\(port).jsonl")
    }

    /// Starts the receiver and waits (without holding a thread of the cooperative pool) until
    /// it accepts connections. Its output goes to /dev/null: a child holding the test
    /// process's stdout would keep `swift test` waiting after the run if it outlived it.
    static func start(port: Int, directory: URL) async throws -> WebhookReceiver {
        let receiver = WebhookReceiver(port: port, directory: directory)
        let process = receiver.process
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", MonitorTests.receiverScript, String(port), receiver.output.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<1200 {
            if (try? RawConnection(port: port)) != nil { return receiver }
            await sleepEvenIfCancelled(for: .milliseconds(50))
        }
        receiver.stop()
        throw HarnessError("the webhook receiver did not start on port \(port)")
    }

    /// Every POST received so far.
    func records() -> [[String: Any]] {
        guard let text = try? String(contentsOf: output, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    /// Kills the receiver; Foundation reaps it (no blocking wait on a thread of the pool).
    func stop() {
        process.signal(SIGKILL)
    }
}
