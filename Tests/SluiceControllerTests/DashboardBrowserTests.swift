import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SluiceTestSupport
import Testing
@testable import SluiceController

/// The dashboard rendered by a real headless Chromium: the DOM it builds (`--dump-dom`) holds
/// the model names, the weights, the rollout timeline, monitor charts and an aborted
/// analysis's Failed verdict, and the page's script refreshes it in place; screenshots of the
/// models page (desktop and phone width), of a model page during a canary, with monitor
/// charts and after an abort are written to `.build/dashboard-screenshots/` (not in git).
///
/// Not in the default test command (Chromium is a large Debian package): run it with
/// `scripts/test-dashboard-browser.sh`, which sets `SLUICE_BROWSER_TESTS=1`. Enabled and
/// without Chromium, the suite fails with an issue saying so; it never passes silently.
@Suite(
    "dashboard in a headless browser", .timeLimit(.minutes(10)),
    .enabled(if: ProcessInfo.processInfo.environment["SLUICE_BROWSER_TESTS"] == "1", "set SLUICE_BROWSER_TESTS=1 (scripts/test-dashboard-browser.sh)"))
struct DashboardBrowserTests {
    static let screenshots = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/dashboard-screenshots")

    /// Chromium sends no `Authorization` header of its own and has no flag to set a cookie:
    /// this responder adds the operator's bearer header to each request, as a logged-in
    /// session's cookie would authorize it. Everything else is the real router.
    struct Authorized: HTTPResponder {
        let inner: RouterResponder<BasicRequestContext>
        func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
            var head = request.head
            head.headerFields[.authorization] = "Bearer \(DashboardTests.token)"
            return try await inner.respond(to: Request(head: head, body: request.body), context: context)
        }
    }

    static func chromium() -> String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs Chromium headless on `url` with `arguments`; returns what it printed (the DOM for
    /// `--dump-dom`, with any log lines of its own). A Chromium still running after two minutes
    /// is killed with its process group and fails the test, so a hung browser never hangs the run.
    static func run(_ chromium: String, _ arguments: [String], url: String) async throws -> String {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        // --no-sandbox: test containers run as root, where Chromium's sandbox cannot start.
        let result = try await ChildProcess.run(
            URL(fileURLWithPath: chromium),
            ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(profile.path)"] + arguments + [url],
            timeout: .seconds(120))
        #expect(!result.timedOut, "chromium \(arguments) on \(url) did not finish in 2 minutes")
        #expect(result.status == 0, "chromium \(arguments) exited with \(result.status)")
        return result.output
    }

    static func withBrowser(_ fixture: ControllerFixture, _ body: @escaping @Sendable (String, String) async throws -> Void) async throws {
        guard let chromium = chromium() else {
            Issue.record("Chromium is not installed: apt-get install -y chromium (see docs/dashboard.md)")
            return
        }
        try FileManager.default.createDirectory(at: screenshots, withIntermediateDirectories: true)
        let api = ControllerAPI(controller: fixture.controller, token: DashboardTests.token, webhookSecret: nil)
        let app = Application(responder: Authorized(inner: api.router().buildResponder()), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await body(chromium, "http://127.0.0.1:\(port)")
        }
    }

    @Test("the models page and a model page during a canary, rendered by Chromium: names, weights, the step; screenshots at desktop and phone width")
    func canaryPages() async throws {
        let (fixture, _) = try await CanaryPassTests.canary(Manifests.rollout(["weight: 30", "pause: 1h"]))
        await fixture.settle()
        try await Self.withBrowser(fixture) { chromium, base in
            let models = try await Self.run(chromium, ["--dump-dom"], url: "\(base)/ui")
            #expect(models.contains(">fraud</a>"), "\(models.prefix(2000))")
            #expect(models.contains("v1 70%"))
            #expect(models.contains("v2 30%"))
            let model = try await Self.run(chromium, ["--dump-dom"], url: "\(base)/ui/models/fraud")
            #expect(model.contains("<h1>fraud</h1>"))
            #expect(model.contains("Rollout: step"))
            #expect(model.contains("v2 30%"), "the split bar")
            #expect(model.contains("step 1: weight 30% (passed)"), "the timeline's passed step")
            #expect(model.contains("step 2: pause 1h (current since"), "the timeline's current step")
            #expect(model.contains("<strong>rolloutStarted</strong>"), "the timeline's events")
            // Virtual time runs the page's poll: the script fetched the page and swapped its live parts.
            let refreshed = try await Self.run(chromium, ["--dump-dom", "--virtual-time-budget=12000"], url: "\(base)/ui/models/fraud")
            #expect(refreshed.contains("data-refreshed=\""), "\(refreshed.prefix(600))")
            #expect(refreshed.contains("id=\"model-state\" data-live") && refreshed.contains("v2 30%"))
            for (name, size, path) in [("models", "1280,800", "/ui"), ("models-phone", "390,844", "/ui"), ("model-canary", "1280,1600", "/ui/models/fraud")] {
                let file = Self.screenshots.appendingPathComponent("\(name).png")
                try? FileManager.default.removeItem(at: file)
                _ = try await Self.run(chromium, ["--screenshot=\(file.path)", "--window-size=\(size)"], url: base + path)
                let bytes = try Data(contentsOf: file)
                #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(name).png is a PNG")
            }
        }
    }

    @Test("monitor charts rendered by Chromium: a drift monitor per feature and an error-rate monitor, with threshold lines; a screenshot")
    func monitorCharts() async throws {
        let fixture = try await DashboardLiveTests.monitored()
        try await Self.withBrowser(fixture) { chromium, base in
            let model = try await Self.run(chromium, ["--dump-dom"], url: "\(base)/ui/models/fraud")
            #expect(model.contains("<h2>Monitor readings</h2>"), "\(model.prefix(2000))")
            #expect(model.contains("input-drift · v1 · country (threshold 0.2)"))
            #expect(model.contains("errors · v1 (&gt; 0.1)"))
            #expect(model.contains("class=\"threshold\""))
            let file = Self.screenshots.appendingPathComponent("model-monitors.png")
            try? FileManager.default.removeItem(at: file)
            _ = try await Self.run(chromium, ["--screenshot=\(file.path)", "--window-size=1280,2400"], url: "\(base)/ui/models/fraud")
            #expect(try Data(contentsOf: file).starts(with: [0x89, 0x50, 0x4E, 0x47]), "model-monitors.png is a PNG")
        }
    }

    @Test("a model page after an aborted canary, rendered by Chromium, shows the Failed verdict and the measured value")
    func abortedCanary() async throws {
        let fixture = try await AnalysisPassTests.analysed()
        fixture.backend.script("fraud", "v2", .init(errorRate: 0.3))
        await AnalysisPassTests.interval(fixture)
        try await Self.withBrowser(fixture) { chromium, base in
            let model = try await Self.run(chromium, ["--dump-dom"], url: "\(base)/ui/models/fraud")
            #expect(model.contains("<td class=\"Failed\">Failed</td>"), "\(model.prefix(3000))")
            #expect(model.contains("<td>0.3</td>"))
            #expect(model.contains("AnalysisFailed"))
            let file = Self.screenshots.appendingPathComponent("model-aborted.png")
            _ = try await Self.run(chromium, ["--screenshot=\(file.path)", "--window-size=1280,1600"], url: "\(base)/ui/models/fraud")
            #expect(FileManager.default.fileExists(atPath: file.path))
        }
    }
}
