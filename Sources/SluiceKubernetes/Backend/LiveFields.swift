import SluiceCore

/// Compares the fields Sluice rendered with a live object's, ignoring what the server or
/// other controllers add (defaults, status, fields of other managers).
enum LiveFields {
    /// Whether every field of `rendered` has the same value in `live`. Lists must match in
    /// length, item by item. Resource quantities are skipped: the API server canonicalizes
    /// them (`1000m` is stored as `1`), and an edit of them is not the drift that matters.
    static func contains(_ live: JSONValue, _ rendered: JSONValue) -> Bool {
        switch (live, rendered) {
        case (.object, .object(let members)):
            return members.allSatisfy { key, value in
                key == "resources" || contains(live[key] ?? .null, value)
            }
        case (.array(let liveItems), .array(let renderedItems)):
            return liveItems.count == renderedItems.count && zip(liveItems, renderedItems).allSatisfy { contains($0, $1) }
        case (.int(let a), .number(let b)), (.number(let b), .int(let a)):
            return Double(a) == b
        default:
            return live == rendered
        }
    }
}

extension JSONValue {
    /// The value with `path` set to `value`, creating objects on the way.
    func setting(_ path: ArraySlice<String>, to value: JSONValue) -> JSONValue {
        guard let key = path.first else { return value }
        var members: [(String, JSONValue)] = []
        if case .object(let existing) = self { members = existing }
        if let index = members.firstIndex(where: { $0.0 == key }) {
            members[index].1 = members[index].1.setting(path.dropFirst(), to: value)
        } else {
            members.append((key, JSONValue.null.setting(path.dropFirst(), to: value)))
        }
        return .object(members)
    }

    /// The value with `path` set to `value`, creating objects on the way.
    func setting(_ path: [String], to value: JSONValue) -> JSONValue {
        setting(path[...], to: value)
    }
}
