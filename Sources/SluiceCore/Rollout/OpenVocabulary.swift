/// A word from an open set (an event kind, a reason, a process phase): typed constants for
/// the words this version knows, while a word written by a newer Sluice is kept as it is.
/// It is stored, sent and shown as the bare word, so the raw values never change.
public protocol OpenVocabulary: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible where RawValue == String {
    /// The word named by `rawValue`, known to this version or not.
    init(rawValue: String)
}

extension OpenVocabulary {
    /// The word itself, so logs and messages read as before.
    public var description: String { rawValue }

    /// Decodes the bare string, as stored.
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    /// Encodes the bare string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
