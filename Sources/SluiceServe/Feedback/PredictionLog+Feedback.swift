import SluiceCore

/// What became of the items of one feedback body.
package struct FeedbackOutcome: Sendable, Hashable {
    /// Items whose labels were joined to their prediction.
    package var accepted = 0
    /// Request ids with no remembered prediction (never seen, or forgotten).
    package var unknown: [String] = []
    /// Request ids already labeled: a label counts once.
    package var duplicates: [String] = []
    /// Request ids whose label count differs from the predicted rows.
    package var mismatched: [String] = []

    /// The answer body: `{"accepted":N,"unknown":[…],"duplicates":[…],"mismatched":[…]}`,
    /// each list cut at 100 ids.
    package var jsonText: String {
        func list(_ ids: [String]) -> String { "[" + ids.prefix(100).map(JSONText.quote).joined(separator: ",") + "]" }
        return "{\"accepted\":\(accepted),\"unknown\":\(list(unknown)),\"duplicates\":\(list(duplicates)),\"mismatched\":\(list(mismatched))}"
    }
}

extension PredictionLog {
    /// Joins posted ground truth to the remembered predictions of `model` and counts the
    /// labels in each predicted version's monitoring bucket. Shared by the gateway's
    /// `/v2/models/{model}/feedback` and the controller's KServe collector, so both answer
    /// and count alike.
    package func join(_ items: [Feedback], model: String, into recorder: MonitoringRecorder) -> FeedbackOutcome {
        var outcome = FeedbackOutcome()
        var tallies: [String: LabelTally] = [:]
        for item in items {
            switch claim(model: model, requestID: item.requestID) {
            case .unknown:
                outcome.unknown.append(item.requestID)
            case .alreadyLabeled:
                outcome.duplicates.append(item.requestID)
            case .found(let prediction):
                guard prediction.values.count == item.labels.count else {
                    outcome.mismatched.append(item.requestID)
                    continue
                }
                for (label, predicted) in zip(item.labels, prediction.values) {
                    tallies[prediction.version, default: LabelTally()].add(label: label, prediction: predicted)
                }
                outcome.accepted += 1
            }
        }
        for (version, tally) in tallies { recorder.record(model: model, version: version, labels: tally) }
        return outcome
    }
}
