import Foundation
import SluiceCore

/// The `lastRollout` member of a model in `GET /v1/status`, `GET /v1/models/{model}` and
/// `sluice status --format json`: how the last rollout ended, kept until the next one starts.
struct LastRolloutJSON: Codable, Sendable, Hashable {
    /// `promoted`, `abortedByAnalysis`, `abortedByAnalysisError`, `abortedByDeadline`,
    /// `abortedByPerson`, `abortedByMonitor`, `rolledBackByMonitor` or `superseded`.
    var outcome: RolloutOutcome.Kind
    /// When, in seconds since 1970.
    var at: Double
    /// The commit of the spec the rollout went toward (a monitor's rollback: rolled back from).
    var revision: String
    var split: String
    var message: String
    /// The checks that failed (or could not be read) in the run that aborted the rollout:
    /// `metric`, `value`, `stableValue`, `threshold`, `verdict`, `detail`.
    var failedChecks: [CheckMeasurement]
    /// `onAbort: revert`: `status` (`pending`, `written`, `skipped`, `failed`), `commit` once
    /// written, and `message`.
    var revert: RolloutOutcome.Revert?

    init(_ outcome: RolloutOutcome) {
        self.outcome = outcome.kind
        at = outcome.at
        revision = outcome.revision
        split = outcome.split
        message = outcome.message
        failedChecks = outcome.failedChecks
        revert = outcome.revert
    }

    /// The member as the API's hand-built documents carry it.
    var jsonValue: JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let data = try? encoder.encode(self), let value = try? JSONDecoder().decode(JSONValue.self, from: data) else { return .null }
        return value
    }
}
