/// Reading features straight from a body's bytes: the gateway reads the answer of every
/// request it remembers or sketches, and building a `JSONValue` tree (a box per value, a
/// string per key) for the few members it needs cost more than the rest of the reading.
extension InferenceTensors {
    /// The features ``features(in:member:limit:)`` reads from the parsed `json`, read from
    /// its bytes without a tree; nil when `json` is not JSON (``JSONParser/validate(_:)``).
    /// The whole document is checked first, so a body `JSONParser` refuses yields nil here
    /// too, whatever its `member` holds; repeated names count at their first occurrence,
    /// as `JSONValue`'s subscript reads them.
    public static func features(
        inJSON json: UnsafeBufferPointer<UInt8>, member: String = "inputs", limit: Int = 64
    ) -> [(name: String, values: [FeatureValue])]? {
        guard let kind = JSONParser.validate(json) else { return nil }
        guard kind == .object else { return [] }
        return features(inCheckedObject: json, member: member, limit: limit)
    }

    /// ``features(inJSON:member:limit:)`` of a document the caller has already checked:
    /// `JSONParser.validate(json)` must have answered `.object` (the navigation assumes it).
    /// For callers whose type proves the check (the gateway's `CheckedJSONObject`).
    package static func features(
        inCheckedObject json: UnsafeBufferPointer<UInt8>, member: String, limit: Int
    ) -> [(name: String, values: [FeatureValue])] {
        guard limit > 0 else { return [] }
        var features: [(name: String, values: [FeatureValue])] = []
        forEachTensor(inValidated: json, member: member) { tensor in
            let room = limit - features.count
            guard room > 0 else { return false }
            if let tensor { features += tensor.features(limit: room) }
            return true
        }
        return features
    }

    /// What ``firstOutput(in:)`` reads from the parsed `response`, read from its bytes
    /// without a tree; nil also when `response` is not JSON.
    public static func firstOutput(inJSON response: UnsafeBufferPointer<UInt8>) -> [FeatureValue]? {
        guard JSONParser.validate(response) == .object else { return nil }
        var first: Tensor??
        forEachTensor(inValidated: response, member: "outputs") { tensor in
            first = .some(tensor)
            return false
        }
        guard let tensor = first ?? nil else { return nil }
        return Self.compared(tensor.features(limit: 64))
    }

    /// Calls `body` with each item of the array `member` of a checked object, read as a
    /// tensor (nil where ``Tensor`` skips it), until `body` returns false.
    private static func forEachTensor(inValidated json: UnsafeBufferPointer<UInt8>, member: String, _ body: (Tensor?) -> Bool) {
        var cursor = JSONParser.Cursor(bytes: json)
        cursor.skipWhitespace()
        guard let tensors = cursor.firstMember(member), json[tensors] == UInt8(ascii: "[") else { return }
        cursor.index = tensors
        cursor.forEachItem { cursor in body(cursor.tensor()) }
    }
}

/// Navigation in a document already checked by ``JSONParser/validate(_:)``: the skips
/// cannot fail, so their results are not looked at.
extension JSONParser.Cursor {
    /// From an object's `{`: where the value of the first member named `name` starts; the
    /// index is then past the object.
    mutating func firstMember(_ name: String) -> Int? {
        var found: Int?
        forEachMember { cursor, key in
            if found == nil, cursor.key(at: key, equals: name) { found = cursor.index }
            _ = cursor.skipValue(depth: 0)
        }
        return found
    }

    /// From an object's `{` to past its `}`: `body` gets the index of each member's name
    /// (its opening quote) with the cursor at its value, and must move past the value.
    mutating func forEachMember(_ body: (inout Self, _ key: Int) -> Void) {
        index += 1
        skipWhitespace()
        while current == UInt8(ascii: "\"") {
            let key = index
            _ = skipString()
            skipWhitespace()
            index += 1  // the colon
            skipWhitespace()
            body(&self, key)
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                index += 1
                skipWhitespace()
            }
        }
        index += 1  // the closing brace
    }

    /// From an array's `[` to past its `]`: `body` is called at each item and moves past
    /// it, or returns false to stop (the index is then past the array all the same).
    mutating func forEachItem(_ body: (inout Self) -> Bool) {
        let start = index
        index += 1
        skipWhitespace()
        while current != UInt8(ascii: "]") {
            let item = index
            guard body(&self) else {
                index = start
                _ = skipValue(depth: 0)
                return
            }
            if index == item { _ = skipValue(depth: 0) }
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                index += 1
                skipWhitespace()
            }
        }
        index += 1
    }

    /// Whether the member name at `key` (its opening quote) is `name`: compared as bytes
    /// when it is plain ASCII, else decoded and compared as `String`s, as `JSONValue` does.
    func key(at key: Int, equals name: String) -> Bool {
        var end = key + 1
        while bytes[end] != UInt8(ascii: "\"") {
            // Escaped or non-ASCII: decoded, as the same bytes parsed would be.
            if bytes[end] == UInt8(ascii: "\\") || bytes[end] >= 0x80 { return decodedString(at: key) == name }
            end += 1
        }
        if name.utf8.contains(where: { $0 >= 0x80 }) { return decodedString(at: key) == name }
        return UnsafeBufferPointer(rebasing: bytes[(key + 1)..<end]).elementsEqual(name.utf8)
    }

    /// The string whose opening quote is at `start`, decoded as ``string()`` does.
    func decodedString(at start: Int) -> String? {
        var copy = self
        copy.index = start
        return try? copy.string()
    }

    /// From an object's `{`: the tensor ``InferenceTensors/Tensor`` reads from the same
    /// object parsed, or nil where it skips the tensor.
    mutating func tensor() -> InferenceTensors.Tensor? {
        guard current == UInt8(ascii: "{") else { return nil }
        var name: Int?, shape: Int?, datatype: Int?, data: Int?
        forEachMember { cursor, key in
            if name == nil, cursor.key(at: key, equals: "name") { name = cursor.index }
            else if shape == nil, cursor.key(at: key, equals: "shape") { shape = cursor.index }
            else if datatype == nil, cursor.key(at: key, equals: "datatype") { datatype = cursor.index }
            else if data == nil, cursor.key(at: key, equals: "data") { data = cursor.index }
            _ = cursor.skipValue(depth: 0)
        }
        let end = index
        defer { index = end }
        guard let name, bytes[name] == UInt8(ascii: "\""), let tensorName = decodedString(at: name),
              let shape, let data, let dimensions = dimensions(at: shape),
              let layout = InferenceTensors.Tensor.layout(dimensions)
        else { return nil }
        let (rows, columns, expected) = layout
        var bytesType = false
        if let datatype, bytes[datatype] == UInt8(ascii: "\"") { bytesType = decodedString(at: datatype) == "BYTES" }
        var leaves = InferenceTensors.Leaves(keep: min(rows, InferenceTensors.maximumValuesPerFeature) * columns, bytes: bytesType)
        index = data
        guard leaves.walk(&self, depth: 0), leaves.count == expected else { return nil }
        return InferenceTensors.Tensor(name: tensorName, columns: columns, single: columns == 1, values: leaves.kept)
    }

    /// The shape at `start` as non-negative integers, as `Tensor.dimensions` reads it.
    private func dimensions(at start: Int) -> [Int]? {
        guard bytes[start] == UInt8(ascii: "[") else { return nil }
        var cursor = self
        cursor.index = start
        var dimensions: [Int] = []
        var valid = true
        cursor.forEachItem { cursor in
            switch cursor.scalarNumber() {
            case .int(let value)? where value >= 0:
                dimensions.append(value)
            case .double(let value)? where value >= 0 && value < 1e15 && value == value.rounded():
                dimensions.append(Int(value))
            default:
                valid = false
            }
            return valid
        }
        return valid ? dimensions : nil
    }

    /// A number as ``number()`` reads it (an `Int` when integral and in range), moving past
    /// it; nil, without moving, at anything else.
    mutating func scalarNumber() -> ScalarNumber? {
        guard let first = current, first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return nil }
        let start = index
        _ = skipValue(depth: 0)
        let range = UnsafeBufferPointer(rebasing: bytes[start..<index])
        let text = String(decoding: range, as: UTF8.self)
        let integral = !range.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        if integral, let value = Int(text) { return .int(value) }
        return .double(Double(text) ?? .nan)
    }

    /// A JSON number, as `JSONValue` keeps it.
    enum ScalarNumber {
        case int(Int)
        case double(Double)
    }
}

/// Leaves counted and kept from bytes, as walking the parsed value counts and keeps them.
extension InferenceTensors.Leaves {
    /// Visits the value at the cursor and moves past it; false when it holds anything
    /// but lists and scalars (the cursor is then anywhere).
    mutating func walk(_ cursor: inout JSONParser.Cursor, depth: Int) -> Bool {
        guard let byte = cursor.current else { return false }
        switch byte {
        case UInt8(ascii: "["):
            guard depth < Self.maximumDepth else { return false }
            var valid = true
            cursor.forEachItem { cursor in
                valid = walk(&cursor, depth: depth + 1)
                return valid
            }
            return valid
        case UInt8(ascii: "{"), UInt8(ascii: "n"):
            return false
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            if count < keep { kept.append(.category(byte == UInt8(ascii: "t") ? "true" : "false")) }
            count += 1
            _ = cursor.skipValue(depth: 0)
            return true
        case UInt8(ascii: "\""):
            if count < keep {
                guard let text = cursor.decodedString(at: cursor.index) else { return false }
                kept.append(.category(text))
            }
            count += 1
            _ = cursor.skipValue(depth: 0)
            return true
        default:
            let wanted = count < keep
            guard let number = cursor.scalarNumber() else { return false }
            if wanted {
                switch number {
                case .int(let value): kept.append(bytes ? .category(String(value)) : .number(Double(value)))
                case .double(let value): kept.append(bytes ? .category(String(value)) : .number(value))
                }
            }
            count += 1
            return true
        }
    }
}
