/// A request id as the prediction log keys it: an id the gateway issued (32 lowercase hex
/// digits) as its 128 bits, any other id (a KServe logger's) as its text. Every id, whether
/// remembered or claimed, is keyed through ``init(_:)``, so a text that spells a gateway id
/// finds it, and the gateway remembers its own ids without writing them out.
enum PredictionID: Hashable, Sendable {
    case issued(RequestID)
    case text(String)

    /// The key of the id `text`.
    init(_ text: String) {
        if let issued = RequestID(text) {
            self = .issued(issued)
        } else {
            self = .text(text)
        }
    }

    /// Feeds the id to `hasher`: two words for an issued id, its text otherwise.
    func hash(into hasher: inout Hasher) {
        switch self {
        case .issued(let id):
            hasher.combine(id.high)
            hasher.combine(id.low)
        case .text(let text):
            hasher.combine(text)
        }
    }
}
