import Logging
import SluiceCore
import SluiceGit
import SluiceStore

extension Controller {
    /// Records the transitions between passing and failing passes in the audit trail (under
    /// ``ControllerStore/controllerScope``), where the notification outbox picks them up: a
    /// `reconcileError` when passes start failing, a `reconcileRecovered` when one passes
    /// again. A persistent error is recorded once, not once per pass.
    func noteReconcileOutcome(at now: Double) {
        if let error = lastPassError {
            consecutivePassFailures += 1
            guard consecutivePassFailures >= 2, !reconcileErrorReported else { return }
            let message = "reconcile passes are failing: \(error.count > 600 ? error.prefix(600) + "…" : Substring(error))"
            record(RolloutEvent(.reconcileError, message, revision: desiredCommit?.hex), reported: true, at: now)
        } else {
            consecutivePassFailures = 0
            guard reconcileErrorReported else { return }
            record(RolloutEvent(.reconcileRecovered, "reconcile passes succeed again", revision: desiredCommit?.hex), reported: false, at: now)
        }
    }

    private func record(_ event: RolloutEvent, reported: Bool, at now: Double) {
        do {
            try store.recordControllerEvent(event, settings: [ControllerStore.reconcileErrorSetting: reported ? "reported" : "clear"], at: now)
            reconcileErrorReported = reported
            logger.info("\(ControllerStore.controllerScope): \(event.kind): \(event.message)")
        } catch {
            // Tried again after the next pass: the flag is unchanged.
            logger.error("recording \(event.kind) failed: \(error)")
        }
    }
}
