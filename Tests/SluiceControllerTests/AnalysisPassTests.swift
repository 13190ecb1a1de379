import SluiceConfig
import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceController

/// Canary analysis from the fake data plane's real traffic statistics: Successful, Failed,
/// Inconclusive and Error verdicts and what the rollout does with each.
@Suite("controller passes: analysis", .timeLimit(.minutes(10)))
struct AnalysisPassTests {
    /// A canary to v2 at 50% with an error-rate analysis every 30 s, then a 5m pause.
    static func analysed(limits: String = "", checks: String? = nil, onAbort: String? = nil) async throws -> ControllerFixture {
        var analysis = Manifests.errorRate(limits: limits)
        if let checks { analysis = "      interval: 30s\n      minRequests: 20\n\(limits)      checks:\n" + checks }
        let (fixture, _) = try await CanaryPassTests.canary(Manifests.rollout(["weight: 50", "pause: 5m"], analysis: analysis, onAbort: onAbort))
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 50, "v2": 50])
        return fixture
    }

    /// One analysis interval of `requests` requests, then the pass that judges it.
    @discardableResult
    static func interval(_ fixture: ControllerFixture, requests: Int = 200) async -> ReconcileResult {
        fixture.advance(30)
        fixture.backend.serve("fraud", requests: requests)
        return await fixture.pass(.rolloutTick)
    }

    @Test("Successful: the weight step passes after one good interval, the measurement is stored, then the pause promotes")
    func successful() async throws {
        let fixture = try await Self.analysed()
        // No analysis before a whole interval at the weight.
        fixture.advance(29)
        fixture.backend.serve("fraud", requests: 100)
        await fixture.pass(.rolloutTick)
        #expect(!(try fixture.kinds()).contains("analysis"))
        fixture.advance(1)
        fixture.backend.serve("fraud", requests: 100)
        await fixture.pass(.rolloutTick)
        let analysis = try #require(try fixture.events(kind: "analysis").first)
        #expect(analysis.message == "Successful at 50%")
        let measured = try #require(try fixture.store.measurements(of: "fraud").first)
        #expect(measured.metric == "error_rate")
        #expect(measured.verdict == "Successful")
        #expect(measured.value == 0)
        #expect(measured.weight == 50)
        #expect(measured.threshold == "max 0.1")
        #expect(await fixture.state()?.candidate?.step == 1)
        fixture.advance(300)
        await fixture.pass(.rolloutTick)
        #expect(await fixture.state()?.reason.rawValue == "Promoted")
        #expect(fixture.weights() == ["v1": 0, "v2": 100])
    }

    @Test("Failed: a candidate answering 30% errors is aborted, traffic is 100% back on stable, the value is recorded")
    func failed() async throws {
        let fixture = try await Self.analysed()
        fixture.backend.script("fraud", "v2", .init(errorRate: 0.3))
        await Self.interval(fixture)
        let state = try #require(await fixture.state())
        #expect(state.health == .degraded)
        #expect(state.reason.rawValue == "AnalysisFailed")
        #expect(state.message.contains("error_rate"), "\(state.message)")
        #expect(fixture.weights() == ["v1": 100])
        let measured = try #require(try fixture.store.measurements(of: "fraud").first)
        #expect(measured.verdict == "Failed")
        #expect(measured.value == 0.3)
        #expect(measured.detail == "0.3 > max 0.1")
        #expect(try fixture.kinds().suffix(2) == ["analysis", "aborted"])
        #expect(try fixture.events(kind: "aborted").first?.message == "AnalysisFailed: error_rate: 0.3 > max 0.1; 100% back to stable")
    }

    @Test("failureLimit: one failed interval is tolerated, the second aborts")
    func failureLimit() async throws {
        let fixture = try await Self.analysed(limits: "      failureLimit: 1\n")
        fixture.backend.script("fraud", "v2", .init(errorRate: 0.3))
        await Self.interval(fixture)
        #expect(await fixture.state()?.candidate?.failures == 1)
        #expect(fixture.weights() == ["v1": 50, "v2": 50])
        await Self.interval(fixture)
        #expect(await fixture.state()?.reason.rawValue == "AnalysisFailed")
        #expect(try fixture.store.measurements(of: "fraud").filter { $0.verdict == "Failed" }.count == 2)
    }

    @Test("a stable version that errs as much does not fail a ratio check; a worse candidate does")
    func ratioToStable() async throws {
        let check = "        - metric: error_rate\n          maxRatioToStable: 1.5\n"
        let fixture = try await Self.analysed(checks: check)
        fixture.backend.script("fraud", "v1", .init(errorRate: 0.2))
        fixture.backend.script("fraud", "v2", .init(errorRate: 0.2))
        await Self.interval(fixture)
        #expect(try fixture.store.measurements(of: "fraud").last?.verdict == "Successful")
        #expect(try fixture.store.measurements(of: "fraud").last?.stableValue == 0.2)
        // Two and a half times stable's errors is beyond 1.5x.
        let worse = try await Self.analysed(checks: check)
        worse.backend.script("fraud", "v1", .init(errorRate: 0.2))
        worse.backend.script("fraud", "v2", .init(errorRate: 0.5))
        await Self.interval(worse)
        let failed = try #require(try worse.store.measurements(of: "fraud").last)
        #expect(failed.verdict == "Failed")
        #expect(failed.detail == "0.5 is 2.5x stable's 0.2 > maxRatioToStable 1.5")
        #expect(await worse.state()?.reason.rawValue == "AnalysisFailed")
    }

    @Test("latency: a p99 above its maximum fails the canary")
    func latency() async throws {
        let fixture = try await Self.analysed(checks: "        - metric: latency_p99_ms\n          max: 100\n")
        fixture.backend.script("fraud", "v2", .init(latencyMs: 250))
        await Self.interval(fixture)
        let measured = try #require(try fixture.store.measurements(of: "fraud").first)
        #expect(measured.metric == "latency_p99_ms")
        #expect(measured.verdict == "Failed")
        #expect((measured.value ?? 0) >= 240)
        #expect(await fixture.state()?.reason.rawValue == "AnalysisFailed")
    }

    @Test("Inconclusive: too few requests pauses the rollout for a person; promote goes on")
    func inconclusive() async throws {
        let fixture = try await Self.analysed()
        await Self.interval(fixture, requests: 10)
        let state = try #require(await fixture.state())
        #expect(state.health == .paused)
        #expect(state.reason.rawValue == "Inconclusive")
        #expect(state.message.contains("paused: inconclusive analysis (error_rate: 5 requests < minRequests 20)"), "\(state.message)")
        #expect(try fixture.kinds().last == "paused")
        #expect(fixture.weights() == ["v1": 50, "v2": 50], "traffic stays where it was")
        // No further analysis while paused.
        fixture.advance(120)
        await fixture.pass(.rolloutTick)
        #expect(try fixture.events(kind: "analysis").count == 1)
        #expect(await fixture.execute(.promote(model: "fraud", full: false, actor: "erin")) == .done("passed the current step of fraud"))
        await Self.interval(fixture)
        #expect(try fixture.events(kind: "analysis").last?.message == "Successful at 50%")
        #expect(await fixture.state()?.candidate?.step == 1)
    }

    @Test("inconclusiveLimit: thin intervals up to the limit are tolerated without pausing")
    func inconclusiveLimit() async throws {
        let fixture = try await Self.analysed(limits: "      inconclusiveLimit: 2\n")
        await Self.interval(fixture, requests: 10)
        await Self.interval(fixture, requests: 10)
        #expect(await fixture.state()?.health == .progressing)
        await Self.interval(fixture, requests: 10)
        #expect(await fixture.state()?.reason.rawValue == "Inconclusive")
    }

    @Test("Error: statistics the data plane cannot give are an Error; past consecutiveErrorLimit the canary is aborted")
    func error() async throws {
        let fixture = try await Self.analysed(limits: "      consecutiveErrorLimit: 1\n")
        fixture.backend.failNext(.stats)
        await Self.interval(fixture)
        #expect(try fixture.events(kind: "analysis").last?.message == "Error at 50%: error_rate: no statistics for the candidate")
        #expect(await fixture.state()?.candidate?.consecutiveErrors == 1)
        #expect(fixture.weights() == ["v1": 50, "v2": 50])
        fixture.backend.failNext(.stats)
        await Self.interval(fixture)
        let state = try #require(await fixture.state())
        #expect(state.reason.rawValue == "AnalysisError")
        #expect(fixture.weights() == ["v1": 100])
    }

    @Test("an Error followed by a good interval resets the error count")
    func errorThenSuccess() async throws {
        let fixture = try await Self.analysed(limits: "      consecutiveErrorLimit: 1\n")
        fixture.backend.failNext(.stats)
        await Self.interval(fixture)
        await Self.interval(fixture)
        #expect(await fixture.state()?.candidate?.consecutiveErrors == 0)
        #expect(await fixture.state()?.candidate?.step == 1)
        fixture.backend.failNext(.stats)
        await Self.interval(fixture)
        #expect(await fixture.state()?.candidate != nil, "one error after a success is within the limit")
    }

    @Test("a failed analysis with `onAbort: revert` writes the revert commit after traffic is back on stable")
    func failedWithRevert() async throws {
        let fixture = try await Self.analysed(onAbort: "revert")
        fixture.backend.script("fraud", "v2", .init(errorRate: 0.5))
        let result = await Self.interval(fixture)
        #expect(result.events.map(\.event.kind.rawValue) == ["analysis", "aborted", "reverted"])
        #expect(try fixture.subjects().first == "Revert \"fraud v2\" for fraud")
        #expect(fixture.weights() == ["v1": 100])
        await fixture.settle(.interval)
        #expect(await fixture.state()?.isSynced == true)
        #expect(await fixture.state()?.health == .healthy)
    }

    @Test("a prediction-drift check against stable fails a canary whose predictions differ")
    func predictionDrift() async throws {
        let check = "        - metric: prediction_drift\n          test: psi\n          max: 0.2\n          against: stable\n"
        let fixture = try await Self.analysed(checks: check)
        fixture.backend.script("fraud", "v1", .init(predictions: [.category("legit"), .category("legit"), .category("legit"), .category("fraud")]))
        fixture.backend.script("fraud", "v2", .init(predictions: [.category("fraud"), .category("fraud"), .category("fraud"), .category("legit")]))
        // Whole 10 s buckets inside the interval: traffic spread over it.
        fixture.advance(5)
        fixture.backend.serve("fraud", requests: 200)
        fixture.advance(10)
        fixture.backend.serve("fraud", requests: 200)
        fixture.advance(20)
        await fixture.pass(.rolloutTick)
        let measured = try #require(try fixture.store.measurements(of: "fraud").first)
        #expect(measured.metric.hasPrefix("prediction_drift"), "\(measured)")
        #expect(measured.verdict == "Failed", "\(measured.detail)")
        #expect(await fixture.state()?.reason.rawValue == "AnalysisFailed")
    }
}
