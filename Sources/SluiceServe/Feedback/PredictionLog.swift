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
        package var values: [FeatureValue]
        package var labeled = false
    }

    /// What became of a label.
    package enum Claim: Sendable {
        case found(Prediction)
        case unknown
        case alreadyLabeled
    }

    private struct Key: Hashable, Sendable {
        var model: String
        var requestID: String
    }

    private struct Storage: Sendable {
        var entries: [Key: Prediction] = [:]
        var order: [Key?]
        var next = 0
    }

    package let capacity: Int
    private let storage: NIOLockedValueBox<Storage>

    package init(capacity: Int) {
        self.capacity = max(0, capacity)
        storage = NIOLockedValueBox(Storage(order: []))
    }

    /// Remembers a prediction; a repeated request id never replaces the earlier one (ids
    /// are issued by the gateway, so a repeat is not a caller's to make).
    package func remember(model: String, requestID: String, version: String, values: [FeatureValue]) {
        guard capacity > 0 else { return }
        let key = Key(model: model, requestID: requestID)
        storage.withLockedValue { storage in
            guard storage.entries[key] == nil else { return }
            storage.entries[key] = Prediction(version: version, values: values)
            if storage.order.count < capacity {
                storage.order.append(key)
                return
            }
            if let evicted = storage.order[storage.next] { storage.entries.removeValue(forKey: evicted) }
            storage.order[storage.next] = key
            storage.next = (storage.next + 1) % capacity
        }
    }

    /// Finds the prediction for a label and marks it labeled, so a label counts once.
    package func claim(model: String, requestID: String) -> Claim {
        storage.withLockedValue { storage in
            let key = Key(model: model, requestID: requestID)
            guard let prediction = storage.entries[key] else { return .unknown }
            guard !prediction.labeled else { return .alreadyLabeled }
            storage.entries[key]!.labeled = true
            return .found(prediction)
        }
    }

    /// Predictions kept.
    package var count: Int { storage.withLockedValue { $0.entries.count } }
}
