import Foundation
import SluiceCore

/// The last scale event recorded into history: the data plane's run (`ObservedState.instance`)
/// and the event's `sequence` in it. Kept in the store's settings, written in the same
/// transaction as the events, so that no event is recorded twice across passes or across a
/// controller restart, and none is lost while the controller was down (as long as the data
/// plane's bounded list still holds it).
struct ScaleEventCursor: Codable, Sendable, Hashable {
    /// The store setting it is kept under.
    static let settingKey = "scaleEventCursor"

    /// Most events recorded from one answer (the newest); a data plane keeps a bounded list,
    /// and an answer that holds more cannot flood the history.
    static let maximumPerAnswer = 100

    var instance: String
    var sequence: Int

    /// The events of `observed` not recorded yet, oldest first, and the cursor after them.
    /// Another instance is a restarted data plane, whose sequence begins again: all its
    /// events are new. A data plane that sends no instance sends no events to record.
    static func unseen(in observed: ObservedState, after cursor: ScaleEventCursor?) -> (events: [ScaleEvent], cursor: ScaleEventCursor?) {
        guard let instance = observed.instance, let events = observed.scaleEvents, !events.isEmpty else { return ([], cursor) }
        let last = cursor?.instance == instance ? cursor?.sequence ?? .min : .min
        let fresh = events.filter { $0.sequence > last }.sorted { $0.sequence < $1.sequence }.suffix(maximumPerAnswer)
        guard let newest = fresh.last else { return ([], cursor) }
        return (Array(fresh), ScaleEventCursor(instance: instance, sequence: newest.sequence))
    }

    /// The cursor saved as `setting`, nil when absent or unreadable (then every event the data
    /// plane still lists is recorded once more rather than none).
    init?(setting: String?) {
        guard let setting, let cursor = try? JSONDecoder().decode(Self.self, from: Data(setting.utf8)) else { return nil }
        self = cursor
    }

    init(instance: String, sequence: Int) {
        self.instance = instance
        self.sequence = sequence
    }

    /// The cursor as a store setting.
    var setting: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
