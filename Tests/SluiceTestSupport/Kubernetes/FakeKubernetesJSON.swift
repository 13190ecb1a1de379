import SluiceCore

/// Path arithmetic on JSON documents for the fake API server's store and server-side apply.
extension JSONValue {
    /// The members when this is an object.
    var fakeMembers: [(String, JSONValue)]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The value at a path of object keys; the document itself for an empty path.
    func fakeValue(at path: some Collection<String>) -> JSONValue? {
        var value: JSONValue? = self
        for key in path { value = value?[key] }
        return value
    }

    /// Sets `key` (replacing it in place, or appending it) when this is an object.
    mutating func fakeSet(_ key: String, _ value: JSONValue) {
        var members = fakeMembers ?? []
        if let index = members.firstIndex(where: { $0.0 == key }) {
            members[index].1 = value
        } else {
            members.append((key, value))
        }
        self = .object(members)
    }

    /// Removes `key` when this is an object.
    mutating func fakeRemove(_ key: String) {
        guard var members = fakeMembers else { return }
        members.removeAll { $0.0 == key }
        self = .object(members)
    }

    /// Sets the value at `path`, creating objects on the way.
    mutating func fakeSet(_ value: JSONValue, at path: ArraySlice<String>) {
        guard let key = path.first else {
            self = value
            return
        }
        var child = self[key] ?? .object([])
        if child.fakeMembers == nil, path.count > 1 { child = .object([]) }
        child.fakeSet(value, at: path.dropFirst())
        fakeSet(key, child)
    }

    /// Removes the value at `path`, then every object on the way that the removal left empty.
    mutating func fakeRemove(at path: ArraySlice<String>) {
        guard let key = path.first else { return }
        if path.count == 1 {
            fakeRemove(key)
            return
        }
        guard var child = self[key], child.fakeMembers != nil else { return }
        child.fakeRemove(at: path.dropFirst())
        if child.fakeMembers?.isEmpty == true {
            fakeRemove(key)
        } else {
            fakeSet(key, child)
        }
    }

    /// The paths of the leaves: scalars, lists (atomic here) and empty objects.
    func fakeLeafPaths(prefix: [String] = []) -> [[String]] {
        guard let members = fakeMembers, !members.isEmpty else { return [prefix] }
        return members.flatMap { $0.1.fakeLeafPaths(prefix: prefix + [$0.0]) }
    }

    /// `other` merged over this document: objects merge key by key, recursively; anything
    /// else (scalars and lists) is replaced by `other`'s value.
    func fakeMerging(_ other: JSONValue) -> JSONValue {
        guard let mine = fakeMembers, let theirs = other.fakeMembers else { return other }
        var result = JSONValue.object(mine)
        for (key, value) in theirs {
            result.fakeSet(key, self[key].map { $0.fakeMerging(value) } ?? value)
        }
        return result
    }
}
