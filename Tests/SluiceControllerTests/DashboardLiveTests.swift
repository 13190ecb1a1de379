import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SluiceCore
import SluiceStore
import SluiceTestSupport
import Testing
@testable import SluiceController

/// What the dashboard added to reading the pages: refreshing them in place (its script and
/// the parts it swaps), monitor readings per feature over time, and the rollout timeline;
/// over real HTTP on loopback against a real controller (git, SQLite, the fake data plane).
@Suite("controller dashboard: live parts, monitor charts, timeline", .timeLimit(.minutes(10)))
struct DashboardLiveTests {
    static let bearer: HTTPFields = [.authorization: "Bearer \(DashboardTests.token)"]

    /// The live part `id` of a page: from its start to the next live part (or the end), so an
    /// assertion about it is not met by the history below it.
    static func part(_ page: String, id: String) throws -> Substring {
        let start = try #require(page.range(of: "id=\"\(id)\" data-live>"))
        let end = page[start.upperBound...].range(of: " data-live>")?.lowerBound ?? page.endIndex
        return page[start.upperBound..<end]
    }

    @Test("live pages load the same-origin script, keep a meta refresh only inside <noscript>, and the page it polls shows new weights and needs a login")
    func refreshInPlace() async throws {
        let (fixture, _) = try await CanaryPassTests.canary(Manifests.rollout(["weight: 30", "pause: 1h"]))
        await fixture.settle()
        try await DashboardTests.withDashboard(fixture) { client in
            let script = try await client.execute(uri: DashboardScript.path, method: .get)
            #expect(script.status == .ok)
            #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(String(buffer: script.body).contains("[data-live]"))
            for path in ["/ui", "/ui/models/fraud"] {
                let response = try await client.execute(uri: path, method: .get, headers: Self.bearer)
                let page = String(buffer: response.body)
                #expect(page.contains("<script src=\"/ui/dashboard.js\" defer></script>"), "\(path)")
                #expect(page.contains("<noscript><meta http-equiv=\"refresh\" content=\"10\"></noscript>"), "\(path)")
                #expect(!page.contains("<script>"), "no inline script")
                #expect(page.contains("data-live"), "\(path) marks the parts the script swaps")
                let policy = try #require(response.headers[.contentSecurityPolicy])
                #expect(policy.contains("script-src 'self'"))
                #expect(policy.contains("connect-src 'self'"))
                #expect(!policy.contains("unsafe-eval"))
            }
            let (_, before) = try await DashboardTests.get(client, "/ui/models/fraud", headers: Self.bearer)
            #expect(try Self.part(before, id: "model-state").contains("v2 30%"))
            // An operator passes the pause from the dashboard; the page the script polls shows the new split.
            let promote = try await client.execute(
                uri: "/ui/models/fraud/promote", method: .post,
                headers: [.authorization: "Bearer \(DashboardTests.token)", .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "confirm=yes"))
            #expect(promote.status == .ok)
            await fixture.settle(.command)
            #expect(fixture.weights() == ["v1": 0, "v2": 100])
            let (status, after) = try await DashboardTests.get(client, "/ui/models/fraud", headers: Self.bearer)
            #expect(status == .ok)
            let state = try Self.part(after, id: "model-state")
            #expect(state.contains("v2 100%"), "\(state.prefix(1500))")
            let (models, list) = try await DashboardTests.get(client, "/ui", headers: Self.bearer)
            #expect(models == .ok)
            #expect(try Self.part(list, id: "models").contains("v2 100%"))
            for path in ["/ui", "/ui/models/fraud"] {
                let (refused, login) = try await DashboardTests.get(client, path, headers: [:])
                #expect(refused == .unauthorized, "\(path) needs a session or a bearer token")
                #expect(!login.contains("data-live"))
            }
        }
    }

    @Test("the timeline lists the steps with their kinds, the current one marked with its start, and the rollout's events; the head commit's plan is shown")
    func rolloutTimeline() async throws {
        let (fixture, commit) = try await CanaryPassTests.canary(Manifests.rollout(["weight: 30", "approval: {}", "weight: 60"]))
        await fixture.settle()
        #expect(await fixture.state()?.reason.rawValue == "AwaitingApproval")
        try await DashboardTests.withDashboard(fixture) { client in
            let (_, page) = try await DashboardTests.get(client, "/ui/models/fraud", headers: Self.bearer)
            #expect(page.contains("<li class=\"muted\">step 1: weight 30% (passed)</li>"), "\(page)")
            #expect(page.contains("<li class=\"current\" aria-current=\"step\">step 2: approval (current since "))
            #expect(page.contains("waiting for a promotion)</li>"))
            #expect(page.contains("<li>step 3: weight 60%</li>"))
            #expect(page.contains("<strong>rolloutStarted</strong>"))
            #expect(page.contains("<strong>step</strong>"))
            #expect(page.contains("<strong>awaitingApproval</strong>"))
            // The head commit's plan, as `sluice plan` renders it.
            #expect(page.contains("<h2>Plan of the head commit <code title=\"\(commit)\">"), "the local repository's revision is not linked")
            #expect(page.contains("canary v2") && page.contains("in 3 steps"), "\(page)")
        }
        #expect(await fixture.execute(.promote(model: "fraud", full: false, actor: "alice")) == .done("passed the current step of fraud"))
        await fixture.settle(.command)
        try await DashboardTests.withDashboard(fixture) { client in
            let (_, page) = try await DashboardTests.get(client, "/ui/models/fraud", headers: Self.bearer)
            #expect(page.contains("No rollout in progress."))
            #expect(page.contains("Last rollout's events"))
            #expect(page.contains("<strong>promoteRequested</strong> (alice)"), "\(page)")
            #expect(page.contains("<strong>promoted</strong>"))
        }
    }

    /// A categorical baseline of two features, half and half each.
    static let baseline = """
        {"apiVersion": "sluice/v1", "kind": "Baseline", "features": {
          "country": {"kind": "categorical", "counts": {"DE": 500, "FR": 500}},
          "channel": {"kind": "categorical", "counts": {"web": 500, "app": 500}}}}
        """

    static let driftMonitor = """
          monitors:
            - name: input-drift
              metric: input_drift
              test: psi
              reference: baselines/fraud.json
              max: 0.2
              window: 10s
              minSamples: 10
              action: alert
            - name: errors
              metric: error_rate
              max: 0.1
              window: 10s
              minSamples: 10
              action: alert

        """

    /// fraud v1 with both monitors and three closed windows of readings: country is all DE
    /// (drifted from half and half), channel alternates (as in the baseline).
    static func monitored() async throws -> ControllerFixture {
        let files = ["manifests/fraud.yaml": Manifests.fraud(extra: Self.driftMonitor), "baselines/fraud.json": Self.baseline]
            .merging(Manifests.artifacts("a1", "a2")) { $1 }
        let fixture = try await ControllerFixture(files: files)
        await fixture.settle(.start)
        for _ in 0..<3 {
            fixture.backend.serve("fraud", requests: 100) { index in
                [("country", [.category("DE")]), ("channel", [.category(index % 2 == 0 ? "web" : "app")])]
            }
            fixture.advance(10)
            await fixture.controller.monitorPass()
        }
        return fixture
    }

    @Test("monitor readings over time: one chart per feature of a drift monitor with its threshold, drifted points red; a plain monitor charts its value")
    func monitorCharts() async throws {
        let fixture = try await Self.monitored()
        let readings = try fixture.store.monitorReadings(of: "fraud")
        let drift = try #require(readings.last { $0.monitor == "input-drift" })
        #expect(drift.features?.map(\.feature).sorted() == ["channel", "country"], "\(drift)")
        try await DashboardTests.withDashboard(fixture) { client in
            let (_, page) = try await DashboardTests.get(client, "/ui/models/fraud", headers: Self.bearer)
            #expect(page.contains("<h2>Monitor readings</h2>"))
            #expect(page.contains("<figcaption>input-drift · v1 · country (threshold 0.2)</figcaption>"), "\(page)")
            #expect(page.contains("<figcaption>input-drift · v1 · channel (threshold 0.2)</figcaption>"))
            #expect(page.contains("<figcaption>errors · v1 (&gt; 0.1)</figcaption>"))
            #expect(page.contains("class=\"Failed\" fill"), "country's drifted points are red")
            #expect(page.contains("no drift</title>"), "channel's points say no drift")
            #expect(page.components(separatedBy: "class=\"threshold\"").count - 1 >= 3, "every chart has its threshold line")
        }
    }

    @Test("monitor and feature names from git are escaped in the charts")
    func hostileMonitorNames() {
        var reading = MonitorReading(
            monitor: "<script>alert(1)</script>", version: "v1\"><b>", windowStart: 0, windowEnd: 10, value: 0.5, threshold: 0.2,
            criticalThreshold: nil, comparator: "<img src=x>", samples: 100, errorBound: nil, estimated: false, verdict: .breach, detail: "")
        reading.features = [.init(feature: "<img src=x onerror=alert(2)>", value: 0.5, threshold: 0.2, drift: true)]
        var plain = reading
        plain.features = nil
        plain.monitor = "<svg onload=alert(3)>"
        let html = DashboardMonitorCharts.html([reading, plain])
        #expect(!html.contains("<script>") && !html.contains("<img") && !html.contains("<b>") && !html.contains("<svg onload"), "\(html)")
        #expect(html.contains("&lt;img src=x onerror=alert(2)&gt;"))
    }

    @Test("the readings table stays bounded: a series keeps its newest readings only")
    func readingsPruned() async throws {
        let fixture = try await MonitorPassTests.deployed(MonitorPassTests.monitor(action: "alert"))
        let reading = MonitorReading(
            monitor: "errors", version: "v1", windowStart: 0, windowEnd: 10, value: 0, threshold: 0.1, criticalThreshold: nil,
            comparator: ">", samples: 100, errorBound: nil, estimated: false, verdict: .ok, detail: "")
        let many = Array(repeating: (model: "fraud", reading: reading), count: ControllerStore.readingsKept + 5)
        try fixture.store.saveMonitors(statuses: [], readings: many, events: [], at: 1_800_000_000)
        #expect(try fixture.store.monitorReadings(of: "fraud", limit: 10_000).count == ControllerStore.readingsKept)
        try fixture.store.saveMonitors(statuses: [], readings: [many[0]], events: [], at: 1_800_000_000 + ControllerStore.readingsMaximumAge + 1)
        #expect(try fixture.store.monitorReadings(of: "fraud", limit: 10_000).count == 1, "readings older than the maximum age are dropped")
    }
}
