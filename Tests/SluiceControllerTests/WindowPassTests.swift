import Foundation
import SluiceConfig
import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceController

/// Change windows in controller passes, on a manual clock: what waits (new rollouts, step
/// advances, promotions), what never does (rollbacks, aborts), allow windows, and
/// `promote --override-window`.
@Suite("controller passes: change windows", .timeLimit(.minutes(10)))
struct WindowPassTests {
    /// Friday 2027-01-15 at `time` UTC (`07:50`).
    static func friday(_ time: String) -> Double {
        ISO8601DateFormatter().date(from: "2027-01-15T\(time):00Z")!.timeIntervalSince1970
    }

    /// A deny window every day from 08:00 to 10:00 UTC.
    static func morningFreeze() throws -> ChangeWindow {
        ChangeWindow(kind: .deny, schedule: try CronSchedule.parse("0 8 * * *").get(), duration: .seconds(7200))
    }

    static let v2 = [("v1", "a1"), ("v2", "a2")]
    static let toV2 = ["v1": 0, "v2": 100]

    /// v1 deployed at `start`, with the operator's `windows`.
    static func deployed(at start: String, windows: [ChangeWindow] = []) async throws -> ControllerFixture {
        let fixture = try await ControllerFixture(
            files: ["manifests/fraud.yaml": Manifests.fraud()].merging(Manifests.artifacts("a1")) { $1 }, clockStart: friday(start),
            configure: { $0.windows = windows })
        await fixture.settle(.start)
        return fixture
    }

    @Test("a rollout waits at a deny window (spec.windows) and starts when it closes")
    func rolloutWaitsForTheWindowToClose() async throws {
        let fixture = try await Self.deployed(at: "07:00")
        fixture.advance(3600 + 300)  // 08:05, inside the window
        let windows = "  windows:\n    - {kind: deny, schedule: \"0 8 * * *\", duration: 2h}\n"
        let commit = try fixture.commit(
            "fraud v2", ["fraud": Manifests.fraud(Self.v2, traffic: Self.toV2, extra: Manifests.rollout(["weight: 50", "pause: 1m"]) + windows)],
            artifacts: Manifests.artifacts("a2"))
        await fixture.settle()
        let state = try #require(await fixture.state())
        #expect(state.reason == .changeWindow)
        #expect(state.candidate == nil)
        #expect(state.wait == RolloutState.Wait(
            reason: .changeWindow, until: Self.friday("10:00"),
            message: "deny window spec.windows[0] ('0 8 * * *' for 2h, UTC) is open; changes wait until 2027-01-15T10:00:00Z"))
        #expect(state.message == "the rollout to v2 100% waits: " + (state.wait?.message ?? ""))
        #expect(fixture.weights() == ["v1": 100])
        let summary = StatusJSON.summary(state)
        #expect(summary["wait"]?["reason"] == .string("ChangeWindow"))
        #expect(summary["wait"]?["untilTime"] == .string("2027-01-15T10:00:00Z"))
        // Still waiting a second before the end; the history says it once.
        fixture.advance(Self.friday("10:00") - fixture.clock.now() - 1)
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 100])
        #expect(try fixture.kinds() == ["deployed", "windowWait"])
        #expect(try fixture.events(kind: "windowWait").first?.revision == commit)
        // At the end of the window the rollout starts.
        fixture.advance(1)
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 50, "v2": 50])
        #expect(await fixture.state()?.wait == nil)
        #expect(try fixture.kinds() == ["deployed", "windowWait", "rolloutStarted", "step"])
    }

    @Test("inside a deny window (controller.windows) a fast rollback proceeds while a new rollout waits")
    func rollbackProceedsInsideTheWindow() async throws {
        let fixture = try await Self.deployed(at: "07:00", windows: [try Self.morningFreeze()])
        _ = try fixture.commit("fraud v2", ["fraud": Manifests.fraud(Self.v2, traffic: Self.toV2)], artifacts: Manifests.artifacts("a2"))
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 0, "v2": 100])
        #expect(await fixture.state()?.reason == .promoted)
        fixture.advance(3600 + 1800)  // 08:30
        // git revert: back to the v1 spec, a fast rollback, not held.
        _ = try fixture.commit("revert v2", ["fraud": Manifests.fraud()])
        await fixture.settle()
        #expect(fixture.weights()?["v1"] == 100)
        #expect(await fixture.state()?.reason == .fastRollback)
        #expect(await fixture.state()?.wait == nil)
        // A new version in the same window waits.
        _ = try fixture.commit(
            "fraud v3", ["fraud": Manifests.fraud([("v1", "a1"), ("v3", "a3")], traffic: ["v1": 0, "v3": 100])],
            artifacts: Manifests.artifacts("a3"))
        await fixture.settle()
        #expect(fixture.weights()?["v1"] == 100)
        #expect(await fixture.state()?.reason == .changeWindow)
        #expect(await fixture.state()?.wait?.until == Self.friday("10:00"))
    }

    @Test("a running canary does not advance a step inside a deny window, but a failing analysis still aborts it")
    func canaryHoldsButAborts() async throws {
        let fixture = try await Self.deployed(at: "07:58", windows: [try Self.morningFreeze()])
        _ = try fixture.commit(
            "fraud v2",
            ["fraud": Manifests.fraud(Self.v2, traffic: Self.toV2, extra: Manifests.rollout(["weight: 20", "pause: 5m", "weight: 60"], analysis: Manifests.errorRate()))],
            artifacts: Manifests.artifacts("a2"))
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 80, "v2": 20])
        // The weight step passes at 07:58:30; the pause would end at 08:03:30, inside the
        // window: neither its end nor successful analyses pass anything until 10:00.
        for _ in 0..<24 {
            await AnalysisPassTests.interval(fixture)
        }
        #expect(fixture.clock.now() >= Self.friday("08:00"))
        let held = try #require(await fixture.state())
        #expect(fixture.weights() == ["v1": 80, "v2": 20])
        #expect(held.reason == .changeWindow)
        #expect(held.health == .paused)
        #expect(held.message.hasPrefix("step 2/3 at 20% toward v2 100% waits: deny window controller.windows[0]"))
        #expect(try fixture.kinds().contains("analysis"), "analysis goes on inside the window")
        // A failing candidate is aborted inside the window.
        fixture.backend.script("fraud", "v2", .init(errorRate: 0.3))
        await AnalysisPassTests.interval(fixture)
        await fixture.settle()
        #expect(fixture.weights()?["v1"] == 100)
        #expect(try fixture.events(kind: "aborted").first?.message.hasPrefix("AnalysisFailed") == true)
        #expect(await fixture.state()?.lastRollout?.kind == .abortedByAnalysis)
        #expect(await fixture.state()?.wait == nil)
        #expect(try fixture.kinds().filter { $0 == "windowWait" }.count == 1)
    }

    @Test("allow windows: outside every one a change waits until the next opens; inside, it goes on")
    func allowWindows() async throws {
        let office = ChangeWindow(kind: .allow, schedule: try CronSchedule.parse("0 9 * * MON-FRI").get(), duration: .seconds(8 * 3600))
        let fixture = try await Self.deployed(at: "08:00", windows: [office])
        // Even a first deployment waits for the allow window.
        #expect(fixture.weights() == nil)
        let waiting = try #require(await fixture.state())
        #expect(waiting.reason == .changeWindow)
        #expect(waiting.wait?.until == Self.friday("09:00"))
        #expect(waiting.wait?.message == "no allow window is open; changes wait until 2027-01-15T09:00:00Z")
        fixture.advance(3600)
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 100])
        // Friday 17:00: the allow window closed; v2 waits until Monday 09:00.
        fixture.advance(8 * 3600)
        _ = try fixture.commit("fraud v2", ["fraud": Manifests.fraud(Self.v2, traffic: Self.toV2)], artifacts: Manifests.artifacts("a2"))
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 100])
        #expect(await fixture.state()?.wait?.until == Self.friday("09:00") + 3 * 86_400)
    }

    @Test("`promote` inside a window is refused saying until when; `--override-window` goes through, recorded with the actor")
    func overrideWindow() async throws {
        let fixture = try await Self.deployed(at: "07:50", windows: [try Self.morningFreeze()])
        _ = try fixture.commit(
            "fraud v2",
            ["fraud": Manifests.fraud(Self.v2, traffic: Self.toV2, extra: Manifests.rollout(["weight: 30", "approval: {}", "weight: 60", "pause: 1h"]))],
            artifacts: Manifests.artifacts("a2"))
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 70, "v2": 30])
        fixture.advance(900)  // 08:05
        await fixture.settle()
        #expect(await fixture.execute(.promote(model: "fraud", full: false, actor: "dana")) == .refused(
            "fraud: deny window controller.windows[0] ('0 8 * * *' for 2h, UTC) is open; changes wait until 2027-01-15T10:00:00Z; "
                + "run `sluice promote fraud --override-window` to promote anyway"))
        #expect(!(try fixture.kinds()).contains("promoteRequested"))
        // A model with nothing waiting gets the usual refusal, window or not.
        let idle = try await Self.deployed(at: "07:00", windows: [try Self.morningFreeze()])
        idle.advance(5400)
        await idle.settle()
        #expect(await idle.execute(.promote(model: "fraud", full: false, actor: "dana")) == .refused(
            "fraud has no rollout waiting at a pause or an approval (Deployed)"))
        let outcome = await fixture.execute(.promote(model: "fraud", full: false, actor: "dana", overrideWindow: true))
        #expect(outcome == .done("fraud goes through the change window until 2027-01-15T10:00:00Z; passed the current step"))
        let overridden = try #require(try fixture.events(kind: "windowOverridden").first)
        #expect(overridden.actor == "dana")
        #expect(overridden.message.hasPrefix("dana overrode the change window until 2027-01-15T10:00:00Z: deny window controller.windows[0]"))
        #expect(try fixture.events(kind: "promoteRequested").first?.actor == "dana")
        await fixture.settle(.command)
        #expect(fixture.weights() == ["v1": 40, "v2": 60])
        #expect(await fixture.state()?.windowOverride?.actor == "dana")
        #expect(StatusJSON.summary(try #require(await fixture.state()))["windowOverride"]?["actor"] == .string("dana"))
        // The override covers this rollout for the rest of the window: the pause ends and it promotes.
        fixture.advance(3600)
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 0, "v2": 100])
        #expect(await fixture.state()?.reason == .promoted)
    }

    @Test("`promote --override-window` starts a rollout waiting for the window; a newer commit waits again")
    func overrideStartsAWaitingRollout() async throws {
        let fixture = try await Self.deployed(at: "08:00", windows: [try Self.morningFreeze()])
        _ = try fixture.commit("fraud v2", ["fraud": Manifests.fraud(Self.v2, traffic: Self.toV2)], artifacts: Manifests.artifacts("a2"))
        await fixture.settle()
        #expect(fixture.weights() == nil, "the first deployment waits too")
        #expect(await fixture.execute(.promote(model: "fraud", full: false, actor: "erin", overrideWindow: true))
            == .done("fraud goes through the change window until 2027-01-15T10:00:00Z"))
        await fixture.settle(.command)
        #expect(fixture.weights() == ["v1": 0, "v2": 100])
        _ = try fixture.commit(
            "fraud v3", ["fraud": Manifests.fraud([("v2", "a2"), ("v3", "a3")], traffic: ["v2": 0, "v3": 100])], artifacts: Manifests.artifacts("a3"))
        await fixture.settle()
        #expect(fixture.weights() == ["v1": 0, "v2": 100])
        #expect(await fixture.state()?.reason == .changeWindow)
        // Outside any window the flag changes nothing: an ordinary promotion, refused for want of one.
        fixture.advance(7200)
        await fixture.settle()
        #expect(await fixture.execute(.promote(model: "fraud", full: false, actor: "erin", overrideWindow: true))
            == .refused("fraud has no rollout waiting at a pause or an approval (Promoted)"))
    }

    @Test("a state saved before windows existed decodes, with no wait and no override")
    func oldStatesDecode() throws {
        var state = RolloutState(name: "fraud", now: 1)
        state.wait = .init(reason: .changeWindow, until: 2, message: "m")
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(state)) as! [String: Any]
        let old = encoded.filter { $0.key != "wait" && $0.key != "windowOverride" }
        let decoded = try JSONDecoder().decode(RolloutState.self, from: JSONSerialization.data(withJSONObject: old))
        #expect(decoded.wait == nil)
        #expect(decoded.windowOverride == nil)
        #expect(decoded.name == "fraud")
    }
}

/// How `sluice status` and the dashboard show what a window holds.
@Suite("change windows: status line and dashboard", .timeLimit(.minutes(10)))
struct WindowDisplayTests {
    static func held() -> RolloutState {
        var state = RolloutState(name: "fraud", now: 0)
        state.reason = .changeWindow
        state.wait = .init(reason: .changeWindow, until: 1_796_619_600, message: "deny window spec.windows[0] (…) is open; <b>")
        state.windowOverride = .init(digest: "sha256:x", until: 1_796_619_600, actor: "dana <d@x>", at: 1_796_600_000)
        return state
    }

    @Test("the model page says until when (UTC) and who overrode the window, escaped")
    func dashboard() {
        let page = DashboardPages.model(.init(state: Self.held(), measurements: [], monitors: [], history: []), role: .viewer, csrf: nil)
        #expect(page.contains("<p id=\"window-wait\" class=\"Paused\">Waiting (ChangeWindow) until <time datetime=\"2026-12-07T05:00:00Z\">2026-12-07 05:00:00 UTC</time>: deny window spec.windows[0] (…) is open; &lt;b&gt;</p>"))
        #expect(page.contains("Change window overridden by dana &lt;d@x&gt; at 2026-12-06 23:33:20 UTC until 2026-12-07 05:00:00 UTC"))
        let plain = DashboardPages.model(.init(state: RolloutState(name: "fraud", now: 0), measurements: [], monitors: [], history: []), role: .viewer, csrf: nil)
        #expect(!plain.contains("window-wait"))
    }

    @Test("the status JSON carries the typed wait and the override")
    func statusJSON() {
        let summary = StatusJSON.summary(Self.held())
        #expect(summary["reason"] == .string("ChangeWindow"))
        #expect(summary["wait"]?["reason"] == .string("ChangeWindow"))
        #expect(summary["wait"]?["until"] == .number(1_796_619_600))
        #expect(summary["wait"]?["untilTime"] == .string("2026-12-07T05:00:00Z"))
        #expect(summary["windowOverride"]?["actor"] == .string("dana <d@x>"))
        #expect(StatusJSON.summary(RolloutState(name: "fraud", now: 0))["wait"] == nil)
    }
}

/// `POST /v1/models/{m}/promote[?overrideWindow=true]` inside a window, as `sluice promote` sends it.
@Suite("controller API: promote through a change window", .timeLimit(.minutes(10)))
struct WindowAPITests {
    @Test("409 with until when without the flag; 200 with it, the history naming the actor")
    func promoteOverAPI() async throws {
        let fixture = try await WindowPassTests.deployed(at: "07:50", windows: [try WindowPassTests.morningFreeze()])
        _ = try fixture.commit(
            "fraud v2",
            ["fraud": Manifests.fraud(WindowPassTests.v2, traffic: WindowPassTests.toV2, extra: Manifests.rollout(["weight: 30", "approval: {}"]))],
            artifacts: Manifests.artifacts("a2"))
        await fixture.settle()
        fixture.advance(900)
        await fixture.settle()
        try await ControllerAPICommandTests.withAPI(fixture) { client in
            let (refused, why) = try await ControllerAPICommandTests.post(client, "/v1/models/fraud/promote", actor: "frank")
            #expect(refused == .conflict)
            #expect(why?.contains("changes wait until 2027-01-15T10:00:00Z") == true)
            let (status, message) = try await ControllerAPICommandTests.post(client, "/v1/models/fraud/promote?overrideWindow=true&full=true", actor: "frank")
            #expect(status == .ok)
            #expect(message == "fraud goes through the change window until 2027-01-15T10:00:00Z; promoting to the end")
            let history = try await ControllerAPICommandTests.history(client)
            let override = try #require(history.first { $0["kind"] as? String == "windowOverridden" })
            #expect(override["actor"] as? String == "frank")
        }
        await fixture.settle(.command)
        #expect(fixture.weights() == ["v1": 0, "v2": 100])
    }
}
