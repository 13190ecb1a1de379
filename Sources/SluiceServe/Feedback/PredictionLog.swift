import NIOConcurrencyHelpers
import SluiceCore

/// The most recent predictions by request id, so that ground truth posted later can be
/// joined to what the model answered. Bounded: once `capacity` predictions are kept, the
/// oldest is forgotten for each new one (a label that arrives later is reported unknown).
/// A capacity of 0 turns feedback off (answers are then not read for it).
package final class PredictionLog: Sendable {
    /// What a request was answered with.
    package struct Prediction: Sendable {
        package var version: String
        /// The values as kept: one inline (``FeatureValueList``).
        package var kept: FeatureValueList
        package var labeled = false

        package init(version: String, values: FeatureValueList) {
            self.version = version
            kept = values
        }

        package var values: [FeatureValue] { kept.values }
    }

    /// What became of a label.
    package enum Claim: Sendable {
        case found(Prediction)
        case unknown
        case alreadyLabeled
    }

    package let capacity: Int
    private let storage: SpinningLockedBox<PredictionTable>

    package init(capacity: Int) {
        self.capacity = max(0, capacity)
        storage = SpinningLockedBox(PredictionTable(capacity: self.capacity))
    }

    /// Remembers a prediction; a repeated request id never replaces the earlier one (ids
    /// are issued by the gateway, so a repeat is not a caller's to make).
    package func remember(model: String, requestID: String, version: String, values: [FeatureValue]) {
        remember(model: model, id: PredictionID(requestID), version: version, values: FeatureValueList(values))
    }

    /// ``remember(model:requestID:version:values:)`` for an id the gateway issued.
    func remember(model: String, issued requestID: RequestID, version: String, values: [FeatureValue]) {
        remember(model: model, issued: requestID, version: version, values: FeatureValueList(values))
    }

    /// ``remember(model:issued:version:values:)`` of values as the answer's reader gives them.
    func remember(model: String, issued requestID: RequestID, version: String, values: FeatureValueList) {
        remember(model: model, id: .issued(requestID), version: version, values: values)
    }

    private func remember(model: String, id: PredictionID, version: String, values: FeatureValueList) {
        guard capacity > 0 else { return }
        let prediction = Prediction(version: version, values: values)
        storage.withLockedValue { _ = $0.insert(model: model, id: id, prediction: prediction) }
    }

    /// Finds the prediction for a label and marks it labeled, so a label counts once.
    package func claim(model: String, requestID: String) -> Claim {
        let before = storage.withLockedValue { $0.update(model: model, id: PredictionID(requestID)) { $0.labeled = true } }
        guard let before else { return .unknown }
        return before.labeled ? .alreadyLabeled : .found(before)
    }

    /// Predictions kept.
    package var count: Int { storage.withLockedValue { $0.count } }
}
