import Foundation
import SluiceCore

/// The replica-count changes a Kubernetes backend has seen between observations (an HPA
/// scaling a Deployment, or new bounds), as ``ScaleEvent``s for the controller's history: the
/// last desired count per version, the next sequence number and a bounded list of events.
struct KubernetesScaleLog: Sendable {
    /// Events kept for readers (who keep the highest sequence they recorded).
    static let limit = 100

    /// Identifies this process's log: sequence numbers begin again in a new one.
    let instance = UUID().uuidString.lowercased()
    private var last: [String: ObservedReplicas] = [:]
    private var nextSequence = 1
    private(set) var events: [ScaleEvent] = []

    /// Records a change of each version's desired count since the previous observation (a
    /// version seen for the first time records none); returns the events kept.
    mutating func record(_ models: [ObservedModel], at time: String) -> [ScaleEvent] {
        for model in models {
            for version in model.versions {
                guard let replicas = version.replicas else { continue }
                let key = "\(model.name)\u{0}\(version.name)"
                defer { last[key] = replicas }
                guard let previous = last[key], previous.desired != replicas.desired else { continue }
                let boundsMoved = previous.minReplicas != replicas.minReplicas || previous.maxReplicas != replicas.maxReplicas
                let reason: ScaleReason = boundsMoved || replicas.metric == nil ? .bounds : replicas.desired > previous.desired ? .load : .idle
                events.append(ScaleEvent(
                    sequence: nextSequence, at: time, model: model.name, version: version.name, from: previous.desired,
                    to: replicas.desired, reason: reason, load: reason == .bounds ? nil : replicas.load,
                    message: Self.message(version.name, from: previous.desired, replicas, reason: reason)))
                nextSequence += 1
            }
        }
        if events.count > Self.limit { events.removeFirst(events.count - Self.limit) }
        return events
    }

    /// `v1: 2 → 5 replicas (in flight 9 per replica, target 4)`.
    static func message(_ version: String, from: Int, _ replicas: ObservedReplicas, reason: ScaleReason) -> String {
        let head = "\(version): \(from) → \(replicas.desired) replicas"
        if reason == .bounds { return "\(head) (bounds \(replicas.minReplicas)–\(replicas.maxReplicas))" }
        guard let load = replicas.load, let target = replicas.target, let metric = replicas.metric else {
            return "\(head) (HorizontalPodAutoscaler)"
        }
        let measure = metric == .concurrency ? "in flight \(number(load)) per replica" : "\(number(load)) requests per second per replica"
        return "\(head) (\(measure), target \(number(target)))"
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.2f", value)
    }
}
