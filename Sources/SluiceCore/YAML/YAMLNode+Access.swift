extension YAMLNode {
    /// The string under `key`, when present and a string.
    public func string(_ key: String) -> String? {
        if case .string(let text)? = self[key]?.scalar?.value { return text }
        return nil
    }

    /// The integer under `key`, when present and an integer.
    public func int(_ key: String) -> Int? {
        if case .int(let value)? = self[key]?.scalar?.value { return value }
        return nil
    }

    /// The number under `key`, when present and numeric.
    public func number(_ key: String) -> Double? {
        self[key]?.scalar?.value.number
    }

    /// The duration under `key`, when present and valid.
    public func duration(_ key: String) -> Duration? {
        string(key).flatMap { Duration.parse($0).value }
    }

    /// The enumeration value under `key`, when present and valid.
    public func enumeration<Value: RawRepresentable>(_ key: String, as: Value.Type) -> Value? where Value.RawValue == String {
        string(key).flatMap(Value.init(rawValue:))
    }

    /// The items under `key`, or an empty list.
    public func list(_ key: String) -> [YAMLNode] {
        self[key]?.items ?? []
    }

    /// The strings under `key` (a list of strings), skipping anything else.
    public func strings(_ key: String) -> [String] {
        list(key).compactMap { node in
            if case .string(let text)? = node.scalar?.value { return text }
            return nil
        }
    }

    /// The entry whose key is `key`, to report at the key's position.
    public func entry(_ key: String) -> YAMLEntry? {
        entries?.first { $0.key.scalar?.text == key }
    }
}
