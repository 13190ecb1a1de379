/// A read-only map that is searched as a list while it holds at most ``listLimit`` keys, and
/// hashed beyond: comparing a few keys (a short `String` in place, an object's identity) costs
/// less than hashing one (Benchmarks/README.md, "Hot path, slices 47 and 50"). For the
/// per-request lookups among a model's ready versions and among the event loops.
struct SmallLookup<Key: Hashable, Value> {
    /// The most keys searched as a list.
    static var listLimit: Int { 8 }

    private let dictionary: [Key: Value]
    private let entries: [Entry]

    /// An entry of the list: a struct, not a tuple (an array of tuples is copied and destroyed
    /// through generic witnesses).
    fileprivate struct Entry {
        let key: Key
        let value: Value
    }

    /// Every value, in no order.
    var values: Dictionary<Key, Value>.Values { dictionary.values }

    init(_ dictionary: [Key: Value]) {
        self.dictionary = dictionary
        entries = dictionary.count <= Self.listLimit ? dictionary.map { Entry(key: $0.key, value: $0.value) } : []
    }

    /// The value of `key`, if any.
    subscript(key: Key) -> Value? {
        guard dictionary.count <= Self.listLimit else { return dictionary[key] }
        for entry in entries where entry.key == key { return entry.value }
        return nil
    }
}

extension SmallLookup: Sendable where Key: Sendable, Value: Sendable {}
extension SmallLookup.Entry: Sendable where Key: Sendable, Value: Sendable {}
