import SluiceCore

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
