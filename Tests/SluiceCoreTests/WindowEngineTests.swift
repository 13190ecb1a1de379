import SluiceCore
import Testing

/// The rollout engine at a closed change-window gate: what it holds and what it never does.
@Suite("rollout engine: change windows", .timeLimit(.minutes(10)))
struct WindowEngineTests {
    typealias E = RolloutEngineTests

    static let closed = WindowGate.closed(.init(cause: .outsideAllow, until: 1000))

    func step(_ desired: DesiredState.Model?, _ state: RolloutState?, at now: Double, gate: WindowGate = .open) -> RolloutEngine.Decision {
        RolloutEngine.reconcile(
            desired: desired, revision: "r\(Int(now))", manifestError: nil, state: state,
            observation: ModelObservation(readyVersions: ["v1", "v2", "v3"]), now: now, gate: gate)
    }

    @Test("a user's abort and a monitor's rollback happen at a closed gate, and the next pass keeps them")
    func abortsAndMonitorRollbacks() throws {
        let stable = step(E.model(["v1": 100]), nil, at: 0).state
        let canary = E.model(["v1": 0, "v2": 100], steps: [.weight(20), .pause(.seconds(600))])
        let running = step(canary, step(canary, stable, at: 1).state, at: 2).state
        #expect(E().weights(running) == ["v1": 80, "v2": 20])
        let aborted = try #require(RolloutEngine.abortByUser(running, now: 3)).state
        let after = step(canary, aborted, at: 4, gate: Self.closed)
        #expect(E().weights(after.state) == ["v1": 100])
        #expect(after.state.reason == .candidateFailed, "a failed spec is not retried, window or not")
        #expect(after.state.wait == nil)
        // v2 promoted, then a monitor rolls back to v1 inside a window.
        let promoted = step(canary, running, at: 700).state
        #expect(promoted.stable?.primary == "v2")
        let rolledBack = try #require(RolloutEngine.rollbackByMonitor(promoted, monitor: "drift", detail: "psi 0.4", now: 701)).state
        let next = step(canary, rolledBack, at: 702, gate: Self.closed)
        #expect(E().weights(next.state) == ["v1": 100])
        #expect(next.state.health == .degraded)
    }

    @Test("held: a first deployment, a traffic update and a new rollout; the event once; the override lets one spec through")
    func heldChanges() throws {
        let first = step(E.model(["v1": 100]), nil, at: 0, gate: Self.closed)
        #expect(first.state.stable == nil)
        #expect(first.events.map(\.kind) == [.windowWait])
        #expect(first.state.wait?.until == 1000)
        let again = step(E.model(["v1": 100]), first.state, at: 1, gate: Self.closed)
        #expect(again.events.isEmpty, "the wait is said once")
        let stable = step(E.model(["v1": 100]), again.state, at: 2).state
        #expect(stable.wait == nil && stable.stable != nil)
        let split = step(E.model(["v1": 50, "v2": 50]), stable, at: 3).state
        let shift = step(E.model(["v1": 40, "v2": 60]), split, at: 4, gate: Self.closed)
        #expect(E().weights(shift.state) == ["v1": 50, "v2": 50], "an update between serving versions waits too")
        #expect(shift.state.message.hasPrefix("the change to v1 40%, v2 60% waits: "))
        var overridden = RolloutEngine.overrideWindow(shift.state, closure: .init(cause: .outsideAllow, until: 1000), actor: "ann", now: 5)
        #expect(overridden?.1.kind == .windowOverridden)
        let through = step(E.model(["v1": 40, "v2": 60]), overridden?.0, at: 6, gate: Self.closed)
        #expect(E().weights(through.state) == ["v1": 40, "v2": 60])
        // The override ends with its window.
        overridden = RolloutEngine.overrideWindow(through.state, closure: .init(cause: .outsideAllow, until: 1000), actor: "ann", now: 7)
        #expect(overridden == nil, "nothing waits")
        let later = step(E.model(["v1": 30, "v2": 70]), through.state, at: 1001, gate: Self.closed)
        #expect(later.state.windowOverride == nil)
        #expect(E().weights(later.state) == ["v1": 40, "v2": 60])
    }
}
