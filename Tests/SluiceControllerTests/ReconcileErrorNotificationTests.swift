import Foundation
import SluiceConfig
import SluiceCore
import SluiceStore
import SluiceTestSupport
import Testing
@testable import SluiceController

/// The `reconcileError` and `reconcileRecovered` events: recorded on the transitions between
/// failing and passing passes (not once per failed pass) and queued in the notification
/// outbox in the same transaction.
@Suite("reconcile error notifications", .timeLimit(.minutes(10)))
struct ReconcileErrorNotificationTests {
    static func fixture() async throws -> ControllerFixture {
        let fixture = try await ControllerFixture(files: ["manifests/fraud.yaml": Manifests.fraud()].merging(Manifests.artifacts("a1")) { $1 }) { config in
            config.notifications = [
                NotificationTarget(name: "audit", kind: .generic, url: .environment("AUDIT_URL"), events: [.reconcileError, .reconcileRecovered, .promoted]),
            ]
        }
        await fixture.settle(.start)
        return fixture
    }

    static func queued(_ fixture: ControllerFixture) throws -> [RolloutEvent.Kind] {
        try fixture.store.dueNotifications(at: .infinity, limitPerTarget: 100).map(\.notification.kind)
    }

    static func controllerKinds(_ fixture: ControllerFixture) throws -> [String] {
        try fixture.store.history(of: ControllerStore.controllerScope).map(\.kind.rawValue)
    }

    @Test("git failing: one reconcileError however many passes fail, also across a restart; one reconcileRecovered when git reads again")
    func gitFailingThenRecovering() async throws {
        let fixture = try await Self.fixture()
        #expect(try Self.queued(fixture).isEmpty)
        // HEAD now names a branch that does not exist: every pass fails at readGit.
        try fixture.repo.git(["symbolic-ref", "HEAD", "refs/heads/gone"])
        #expect(await fixture.pass(.interval).failure?.step == .readGit)
        #expect(try Self.controllerKinds(fixture).isEmpty, "a single failed pass (a retry follows in a second) is not reported")
        for _ in 0..<4 { await fixture.pass(.interval) }
        #expect(try Self.controllerKinds(fixture) == ["reconcileError"])
        let error = try #require(try fixture.store.dueNotifications(at: .infinity, limitPerTarget: 100).first)
        #expect(error.notification.kind == .reconcileError)
        #expect(error.notification.model == ControllerStore.controllerScope)
        #expect(error.notification.message.hasPrefix("reconcile passes are failing: reading git failed: "))
        // A restart in the middle of the outage does not report it again.
        try fixture.restart()
        for _ in 0..<3 { await fixture.pass(.interval) }
        #expect(try Self.controllerKinds(fixture) == ["reconcileError"])
        try fixture.repo.git(["symbolic-ref", "HEAD", "refs/heads/main"])
        #expect(await fixture.pass(.interval).succeeded)
        await fixture.pass(.interval)
        #expect(try Self.controllerKinds(fixture) == ["reconcileError", "reconcileRecovered"])
        #expect(try Self.queued(fixture) == [.reconcileError, .reconcileRecovered])
        #expect(try fixture.kinds() == ["deployed"], "the model's own history is untouched")
    }

    @Test("the data plane refusing every spec is a reconcile error too; a target that does not want it gets nothing")
    func dataPlaneDown() async throws {
        let fixture = try await Self.fixture()
        fixture.backend.setDown(.init(.unreachable, "the data plane at 127.0.0.1:1 did not answer: connection refused"))
        for _ in 0..<3 { await fixture.pass(.interval) }
        #expect(try Self.controllerKinds(fixture) == ["reconcileError"])
        #expect(try Self.queued(fixture) == [.reconcileError])
        let routes = NotificationDeliverer.routes([NotificationTarget(name: "chat", kind: .slack, url: .environment("X"), events: [.promoted])])
        #expect(routes.first?.kinds.contains(.reconcileError) == false)
    }
}
