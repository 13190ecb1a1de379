import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SluiceConfig
import SluiceCore
import SluiceStore
import SluiceTestSupport
import Testing
@testable import SluiceController

/// The audit export, `GET /v1/history` (what `sluice history --format json` prints): a real
/// controller (git, SQLite, the fake data plane, a manual clock) aborts a canary on a failed
/// analysis, an hour later a second model is deployed; the trail across models and time
/// ranges, with the commit, the actor and the analysis readings, page by page.
@Suite("audit export", .timeLimit(.minutes(10)))
struct AuditExportTests {
    static let token = "viewer-token-for-audit-tests"

    /// fraud's canary aborted on error_rate 0.3, then `churn` deployed an hour later; returns
    /// the fixture and when churn's commit was reconciled.
    static func history() async throws -> (ControllerFixture, Double) {
        let fixture = try await AnalysisPassTests.analysed()
        fixture.backend.script("fraud", "v2", .init(errorRate: 0.3))
        await AnalysisPassTests.interval(fixture)
        #expect(await fixture.state()?.reason.rawValue == "AnalysisFailed")
        fixture.advance(3600)
        let churnAt = fixture.clock.now()
        _ = try fixture.commit("churn", [
            "fraud": Manifests.fraud([("v1", "a1"), ("v2", "a2")], traffic: ["v2": 100], extra: Manifests.rollout(["weight: 50", "pause: 5m"], analysis: Manifests.errorRate())),
            "churn": Manifests.fraud(name: "churn"),
        ], artifacts: Manifests.artifacts("a1", "a2"))
        await fixture.settle(.interval)
        return (fixture, churnAt)
    }

    static func page(_ client: some TestClientProtocol, _ query: String) async throws -> (HTTPResponse.Status, AuditPage?, String) {
        let response = try await client.execute(uri: "/v1/history?" + query, method: .get, headers: [.authorization: "Bearer \(token)"])
        let text = String(buffer: response.body)
        return (response.status, try? JSONDecoder().decode(AuditPage.self, from: Data(text.utf8)), text)
    }

    static func withAPI(_ fixture: ControllerFixture, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let api = ControllerAPI(controller: fixture.controller, tokens: [APIToken(name: "auditor", role: .viewer, value: token)], webhookSecret: nil)
        try await Application(router: api.router()).test(.router) { client in try await body(client) }
    }

    @Test("all models: each event with its model, time, actor and commit; the analysis event carries its readings; a time range narrows it")
    func acrossModelsAndTime() async throws {
        let (fixture, churnAt) = try await Self.history()
        try await Self.withAPI(fixture) { client in
            let (status, page, text) = try await Self.page(client, "")
            #expect(status == .ok, "\(text)")
            let events = try #require(page?.events)
            #expect(page?.next == nil)
            #expect(Set(events.map(\.model)).isSuperset(of: ["fraud", "churn"]), "\(events.map(\.model))")
            #expect(events.map(\.id) == events.map(\.id).sorted(), "in the order recorded")
            let analysis = try #require(events.first { $0.kind == .analysis })
            #expect(analysis.model == "fraud")
            #expect(analysis.revision?.count == 40, "the commit")
            #expect(analysis.actor == "controller")
            let reading = try #require(analysis.measurements.first)
            #expect(reading.metric == "error_rate")
            #expect(reading.value == 0.3)
            #expect(reading.verdict == "Failed")
            #expect(reading.threshold.contains("0.1"))
            #expect(reading.weight == 50)
            #expect(analysis.time == AuditTime.format(analysis.at))
            let others = events.filter { $0.kind != .analysis }
            #expect(others.allSatisfy { $0.measurements.isEmpty })
            #expect(events.contains { $0.kind == .aborted && $0.model == "fraud" })
            #expect(events.contains { $0.kind == .deployed && $0.model == "churn" })

            // Since churn's commit: churn's deployment and nothing of fraud's abort.
            let since = AuditTime.format(churnAt)
            let (_, later, _) = try await Self.page(client, "since=\(since)")
            let recent = try #require(later?.events)
            #expect(recent.contains { $0.model == "churn" && $0.kind == .deployed })
            #expect(!recent.contains { $0.kind == .aborted || $0.kind == .analysis })
            #expect(recent.allSatisfy { $0.at >= churnAt })
            // Until then: fraud's story alone.
            let (_, earlier, _) = try await Self.page(client, "until=\(since)")
            let before = try #require(earlier?.events)
            #expect(before.contains { $0.kind == .analysis })
            #expect(!before.contains { $0.model == "churn" })
            #expect(before.count + recent.count == events.count)
            // One model.
            let (_, fraudOnly, _) = try await Self.page(client, "model=fraud")
            #expect(fraudOnly?.events.allSatisfy { $0.model == "fraud" } == true)
            #expect(fraudOnly?.events.count == events.filter { $0.model == "fraud" }.count)
        }
    }

    @Test("pages of 2 chained by next give the whole trail once, in order; the last page has no next")
    func pagination() async throws {
        let (fixture, _) = try await Self.history()
        try await Self.withAPI(fixture) { client in
            let (_, whole, _) = try await Self.page(client, "")
            let all = try #require(whole?.events)
            var seen: [AuditEvent] = []
            var after: Int64?
            var pages = 0
            repeat {
                let (status, page, text) = try await Self.page(client, "limit=2" + (after.map { "&after=\($0)" } ?? ""))
                #expect(status == .ok, "\(text)")
                let events = try #require(page?.events)
                #expect(events.count <= 2)
                seen += events
                after = events.isEmpty ? nil : page?.next
                pages += 1
            } while after != nil && pages < 100
            #expect(seen == all)
            #expect(pages >= all.count / 2)
        }
    }

    @Test("bad input: a time that is not RFC 3339, since after until, a bad cursor or limit are 400 naming the parameter; an unknown model is 404")
    func badInput() async throws {
        let (fixture, _) = try await Self.history()
        try await Self.withAPI(fixture) { client in
            for (query, message) in [
                ("since=yesterday", "since: expected an RFC 3339 time"), ("until=24h", "until: expected an RFC 3339 time"),
                ("since=2026-12-05T10:00:00Z&until=2026-12-05T09:00:00Z", "since must be before until"),
                ("after=-1", "after: expected an event id"), ("after=x", "after: expected an event id"),
                ("limit=0", "limit: expected 1 to 1000"), ("limit=1001", "limit: expected 1 to 1000"),
            ] {
                let (status, _, text) = try await Self.page(client, query)
                #expect(status == .badRequest, "\(query)")
                #expect(text.contains(message), "\(query): \(text)")
            }
            let (status, _, text) = try await Self.page(client, "model=nope")
            #expect(status == .notFound)
            #expect(text.contains("no model 'nope'"))
            let (controllerScope, _, _) = try await Self.page(client, "model=_controller")
            #expect(controllerScope == .ok)
        }
    }

    @Test("--since and --until: RFC 3339 or a duration before now; anything else is refused naming the option")
    func timeBounds() throws {
        let now = 1_800_000_000.0
        #expect(try AuditTime.bound("24h", option: "--since", now: now) == now - 86_400)
        #expect(try AuditTime.bound("90m", option: "--since", now: now) == now - 5400)
        #expect(try AuditTime.bound("2026-12-05T08:00:00Z", option: "--since", now: now) == 1_796_457_600)
        #expect(try AuditTime.bound("2026-12-05T09:00:00.5+01:00", option: "--since", now: now) == 1_796_457_600.5)
        for bad in ["yesterday", "", "7d", "24", "2026-12-05", "2026-13-05T08:00:00Z", "-1h"] {
            #expect(throws: AuditTime.Problem.self, "\(bad)") { try AuditTime.bound(bad, option: "--since", now: now) }
        }
        do {
            _ = try AuditTime.bound("7d", option: "--since", now: now)
        } catch {
            #expect(error.description.hasPrefix("--since: expected an RFC 3339 time"))
            #expect(error.description.contains("a day is 24h"))
        }
    }
}

/// The export's documented schema (the field table in docs/controller.md, *Audit export*)
/// and the Codable type both sides use name the same fields.
@Suite("audit export: the documented schema", .timeLimit(.minutes(10)))
struct AuditSchemaDocsTests {
    @Test("every field the type encodes is in the docs' table, and every field of the table is encoded")
    func documentedFieldsAreTheEncodedOnes() throws {
        let event = AuditEvent(
            id: 7, model: "fraud", at: 1.5, time: "1970-01-01T00:00:01.500Z", kind: .analysis, message: "Failed at 50%", actor: "controller",
            revision: "abc", measurements: [AuditMeasurement(metric: "error_rate", value: 0.3, stableValue: 0.01, threshold: "max 0.1", verdict: "Failed", detail: "d", weight: 50)])
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(event)) as? [String: Any])
        var encoded = Set(object.keys)
        for key in (object["measurements"] as? [[String: Any]])?.first?.keys ?? [:].keys { encoded.insert("measurements[].\(key)") }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let docs = try String(contentsOf: root.appendingPathComponent("docs/controller.md"), encoding: .utf8)
        let table = try #require(docs.components(separatedBy: "| Field | Type | Meaning |\n").dropFirst().first?.components(separatedBy: "\n\n").first)
        let documented = Set(table.split(separator: "\n").dropFirst().compactMap { line in
            line.split(separator: "`", omittingEmptySubsequences: false).dropFirst().first.map(String.init)
        })
        #expect(documented == encoded)
    }
}
