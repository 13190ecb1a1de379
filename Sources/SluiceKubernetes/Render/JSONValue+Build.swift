import SluiceCore

extension JSONValue {
    /// An object of the members whose value is not nil, in order: rendered objects leave
    /// unset optional fields out rather than writing `null`.
    static func members(_ members: [(String, JSONValue?)]) -> JSONValue {
        .object(members.compactMap { key, value in value.map { (key, $0) } })
    }

    /// An object of string values sorted by key, so rendering is stable.
    static func strings(_ map: [String: String]) -> JSONValue {
        .object(map.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
    }
}
