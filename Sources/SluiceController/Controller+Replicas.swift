import SluiceCore
import SluiceStore

extension Controller {
    /// The actor of scale events in history: the data plane's autoscaler decided them.
    static let scaleActor = "data plane"
    /// The longest scale-event sentence kept (the data plane's are one line).
    static let scaleMessageLimit = 500

    /// Keeps what the data plane reports of each version's replicas, for status and metrics.
    func noteReplicas(_ observed: ObservedState) {
        var replicas: [String: [String: ObservedReplicas]] = [:]
        for model in observed.models {
            for version in model.versions {
                if let reported = version.replicas { replicas[model.name, default: [:]][version.name] = reported }
            }
        }
        observedReplicas = replicas
        metrics.recordReplicas(replicas)
    }

    /// The scale events of `observed` not recorded yet, as history records of the models the
    /// controller keeps (`.scaled`, with the data plane's sentence), and the cursor to save
    /// with them. An event of a model the controller does not know is passed over.
    func scaleEvents(in observed: ObservedState, models: [String: RolloutState]) -> (records: [ControllerStore.EventRecord], cursor: ScaleEventCursor?) {
        let (events, cursor) = ScaleEventCursor.unseen(in: observed, after: scaleCursor)
        let records = events.filter { models[$0.model] != nil }.map { event in
            ControllerStore.EventRecord(
                model: event.model, event: RolloutEvent(.scaled, String(event.message.prefix(Self.scaleMessageLimit)), revision: observed.revision),
                actor: Self.scaleActor)
        }
        return (records, cursor)
    }
}
