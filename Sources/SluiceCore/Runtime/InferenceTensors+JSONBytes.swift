/// Reading features straight from a body's bytes: the gateway reads the answer of every
/// request it remembers or sketches, and building a `JSONValue` tree (a box per value, a
/// string per key) for the few members it needs cost more than the rest of the reading.
/// One pass checks the document as ``JSONParser/validate(_:)`` does and finds the tensors
/// on the way; only a wanted tensor's `shape` and `data` are read a second time.
extension InferenceTensors {
    /// The features ``features(in:member:limit:)`` reads from the parsed `json`, read from
    /// its bytes without a tree; nil when `json` is not JSON (``JSONParser/validate(_:)``).
    /// The whole document is checked, so a body `JSONParser` refuses yields nil here
    /// too, whatever its `member` holds; repeated names count at their first occurrence,
    /// as `JSONValue`'s subscript reads them.
    public static func features(
        inJSON json: UnsafeBufferPointer<UInt8>, member: String = "inputs", limit: Int = 64
    ) -> [(name: String, values: [FeatureValue])]? {
        guard limit > 0 else { return JSONParser.validate(json) == nil ? nil : [] }
        var features: [(name: String, values: [FeatureValue])] = []
        let valid = forEachTensor(in: json, member: member) { tensor in
            let room = limit - features.count
            tensor?.appendFeatures(to: &features, limit: room)
            return features.count < limit
        }
        return valid ? features : nil
    }

    /// ``features(inJSON:member:limit:)`` of a document the caller has already checked:
    /// `JSONParser.validate(json)` must have answered `.object`. For callers whose type
    /// proves the check (the gateway's `CheckedJSONObject`).
    package static func features(
        inCheckedObject json: UnsafeBufferPointer<UInt8>, member: String, limit: Int
    ) -> [(name: String, values: [FeatureValue])] {
        features(inJSON: json, member: member, limit: limit) ?? []
    }

    /// The values of the first feature ``features(inJSON:member:limit:)`` reads, without its
    /// name: what the prediction log keeps of each answer, with no `String` made for the
    /// tensor's name and no array of features. Nil when `json` is not JSON, empty when it
    /// has no such feature.
    public static func firstFeatureValues(inJSON json: UnsafeBufferPointer<UInt8>, member: String) -> [FeatureValue]? {
        firstFeature(inJSON: json, member: member)?.values
    }

    /// ``firstFeatureValues(inJSON:member:)`` with a single value held inline: no array is
    /// allocated for the usual answer of one row and one column.
    public static func firstFeature(inJSON json: UnsafeBufferPointer<UInt8>, member: String) -> FeatureValueList? {
        let decided = member.withContiguousUTF8 { name in
            JSONParser.Cursor.isPlain(name) ? singleValueFeature(inJSON: json, member: name) : nil
        }
        if let decided { return decided }
        return generalFirstFeature(inJSON: json, member: member)
    }

    /// ``firstFeature(inJSON:member:)`` by the general reader, for any answer.
    static func generalFirstFeature(inJSON json: UnsafeBufferPointer<UInt8>, member: String) -> FeatureValueList? {
        var values = FeatureValueList.many([])
        let valid = forEachTensor(in: json, member: member, named: false) { cursor, members in
            guard let members, let first = cursor.firstFeature(members) else { return true }
            values = first
            return false
        }
        return valid ? values : nil
    }

    /// What ``firstOutput(in:)`` reads from the parsed `response`, read from its bytes
    /// without a tree; nil also when `response` is not JSON.
    public static func firstOutput(inJSON response: UnsafeBufferPointer<UInt8>) -> [FeatureValue]? {
        var first: Tensor??
        guard forEachTensor(in: response, member: "outputs", { tensor in
            first = .some(tensor)
            return false
        }) else { return nil }
        guard let tensor = first ?? nil else { return nil }
        return Self.compared(tensor.features(limit: 64))
    }

    /// Checks `json` as ``JSONParser/validate(_:)`` does, and calls `body` with each item of
    /// the array that is the first member named `member` of a top-level object, read as a
    /// tensor (nil where ``Tensor`` skips it), until `body` returns false. False when `json`
    /// is not JSON. Unless `named`, the tensors' names are checked but not read (left empty).
    private static func forEachTensor(
        in json: UnsafeBufferPointer<UInt8>, member: String, named: Bool = true, _ body: (Tensor?) -> Bool
    ) -> Bool {
        forEachTensor(in: json, member: member, named: named) { cursor, members in
            body(members.flatMap { cursor.tensor($0, named: named) })
        }
    }

    /// ``forEachTensor(in:member:named:_:)`` handing `body` each item's checked members (nil for
    /// an item that is not an object) and a cursor to read them with, which it may move anywhere.
    private static func forEachTensor(
        in json: UnsafeBufferPointer<UInt8>, member: String, named: Bool, _ body: (inout JSONParser.Cursor, JSONParser.Cursor.TensorMembers?) -> Bool
    ) -> Bool {
        var cursor = JSONParser.Cursor(bytes: json)
        cursor.skipWhitespace()
        guard cursor.current == UInt8(ascii: "{") else { return JSONParser.validate(json) != nil }
        return member.withContiguousUTF8 { name in
            let wanted = JSONParser.Cursor.Name(name)
            var found = false
            // The depths are those skipValue(depth: 0) gives the same values.
            let object = cursor.checkedMembers(depth: 1) { cursor, key in
                guard !found, cursor.key(key, equals: wanted) else { return cursor.skipValue(depth: 1) }
                found = true
                guard cursor.current == UInt8(ascii: "[") else { return cursor.skipValue(depth: 1) }
                var reading = true
                return cursor.checkedItems(depth: 2) { cursor in
                    guard reading else { return cursor.skipValue(depth: 2) }
                    guard cursor.current == UInt8(ascii: "{") else {
                        guard cursor.skipValue(depth: 2) else { return false }
                        reading = body(&cursor, nil)
                        return true
                    }
                    guard let members = cursor.tensorMembers(depth: 3) else { return false }
                    let end = cursor.index
                    reading = body(&cursor, members)
                    cursor.index = end
                    return true
                }
            }
            guard object else { return false }
            cursor.skipWhitespace()
            return cursor.index == json.count
        }
    }
}

/// Checked navigation: the same grammar and nesting bound as ``JSONParser/validate(_:)``'s
/// skips, with the members and items handed to the caller.
extension JSONParser.Cursor {
    /// A name to compare member names with, its bytes borrowed.
    struct Name {
        let bytes: UnsafeBufferPointer<UInt8>
        /// Whether it is ASCII, so that only the same bytes name it.
        let ascii: Bool

        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
            var ascii = true
            for byte in bytes where byte >= 0x80 { ascii = false }
            self.ascii = ascii
        }
    }

    /// Whether the checked member name `key` is `name`: compared as bytes when both are
    /// plain ASCII, else decoded and compared as `String`s, as `JSONValue` does (a `String`
    /// compares canonically: "\u{212A}" is "K").
    func key(_ key: Key, equals name: Name) -> Bool {
        let text = UnsafeBufferPointer(rebasing: bytes[(key.start + 1)..<(key.end - 1)])
        if name.ascii {
            // The same bytes are the same name; other plain bytes (no escape, all ASCII) are not.
            if Self.same(text, name.bytes) { return true }
            if Self.isPlain(text) { return false }
        }
        return decodedString(at: key.start) == String(decoding: name.bytes, as: UTF8.self)
    }

    /// Whether the checked string `key` is `word` (ASCII), as `key(_:equals:)` compares.
    func key(_ key: Key, equals word: StaticString) -> Bool {
        self.key(key, equals: Name(Self.bytes(of: word)))
    }

    /// Whether string bytes stand for themselves: no escape, nothing but ASCII. Eight bytes at
    /// a time (member names are a few bytes, read on every answer: a byte at a time, these
    /// comparisons cost ~5 instructions a byte).
    @inline(__always)
    static func isPlain(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = text.baseAddress.map(UnsafeRawPointer.init) else { return true }
        let count = text.count
        var offset = 0
        while offset + 8 <= count {
            guard isPlain(word: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) else { return false }
            offset += 8
        }
        return isPlain(word: ShortBytes.word(base + offset, count: count - offset))
    }

    /// No byte of `word` is a backslash or above ASCII.
    @inline(__always)
    private static func isPlain(word: UInt64) -> Bool {
        word & 0x8080_8080_8080_8080 == 0 && !ShortBytes.has(UInt8(ascii: "\\"), in: word)
    }

    /// Whether two runs of bytes are the same.
    @inline(__always)
    static func same(_ text: UnsafeBufferPointer<UInt8>, _ other: UnsafeBufferPointer<UInt8>) -> Bool {
        ShortBytes.same(text, other)
    }

    /// The bytes of an ASCII literal.
    static func bytes(of word: StaticString) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
    }

    /// The string whose opening quote is at `start`, decoded as ``string()`` does.
    func decodedString(at start: Int) -> String? {
        var copy = self
        copy.index = start
        return try? copy.string()
    }

    /// Where a tensor's members' values start: the first of each name.
    struct TensorMembers {
        var name: Int?
        var shape: Int?
        var datatype: Int?
        var data: Int?
    }

    /// From a tensor object's `{` at nesting `depth`: checks it and moves past it, noting where
    /// the first value of each member ``InferenceTensors/Tensor`` reads starts; nil when it is
    /// not JSON.
    mutating func tensorMembers(depth: Int) -> TensorMembers? {
        var members = TensorMembers()
        let valid = checkedMembers(depth: depth) { cursor, key in
            let value = cursor.index
            guard cursor.skipValue(depth: depth) else { return false }
            let text = UnsafeBufferPointer(rebasing: cursor.bytes[(key.start + 1)..<(key.end - 1)])
            if Self.isPlain(text) {
                // The usual case: one length test and a few bytes, no String.
                switch text.count {
                case 4 where members.name == nil && Self.same(text, Self.bytes(of: "name")): members.name = value
                case 4 where members.data == nil && Self.same(text, Self.bytes(of: "data")): members.data = value
                case 5 where members.shape == nil && Self.same(text, Self.bytes(of: "shape")): members.shape = value
                case 8 where members.datatype == nil && Self.same(text, Self.bytes(of: "datatype")): members.datatype = value
                default: break
                }
            } else if let decoded = cursor.decodedString(at: key.start) {
                switch decoded {
                case "name" where members.name == nil: members.name = value
                case "data" where members.data == nil: members.data = value
                case "shape" where members.shape == nil: members.shape = value
                case "datatype" where members.datatype == nil: members.datatype = value
                default: break
                }
            }
            return true
        }
        return valid ? members : nil
    }

    /// The tensor ``InferenceTensors/Tensor`` reads from a checked object's `members`, or nil
    /// where it skips the tensor. Moves the cursor anywhere. Unless `named`, its name is left
    /// empty: it is a string, and a checked string always decodes (``skipString()`` accepts
    /// what ``string()`` does).
    mutating func tensor(_ members: TensorMembers, named: Bool = true) -> InferenceTensors.Tensor? {
        guard let name = members.name, bytes[name] == UInt8(ascii: "\""), let tensorName = named ? decodedString(at: name) : "",
              let (layout, bytesType) = layout(members)
        else { return nil }
        var leaves = InferenceTensors.Leaves(keep: min(layout.rows, InferenceTensors.maximumValuesPerFeature) * layout.columns, bytes: bytesType)
        index = members.data!
        guard leaves.walk(&self, depth: 0), leaves.count == layout.elements else { return nil }
        return InferenceTensors.Tensor(name: tensorName, columns: layout.columns, single: layout.columns == 1, values: leaves.kept)
    }

    /// The first feature's values of the tensor ``tensor(_:named:)`` reads from `members` (its
    /// `firstFeatureValues`), nil where that is nil; a tensor of one value is read without an
    /// array. Moves the cursor anywhere.
    mutating func firstFeature(_ members: TensorMembers) -> FeatureValueList? {
        guard let name = members.name, bytes[name] == UInt8(ascii: "\""), let (layout, bytesType) = layout(members) else { return nil }
        let keep = min(layout.rows, InferenceTensors.maximumValuesPerFeature) * layout.columns
        var leaves = keep == 1 ? InferenceTensors.Leaves(keepingOneOf: bytesType) : InferenceTensors.Leaves(keep: keep, bytes: bytesType)
        index = members.data!
        guard leaves.walk(&self, depth: 0), leaves.count == layout.elements else { return nil }
        if let single = leaves.single { return .one(single) }
        let tensor = InferenceTensors.Tensor(name: "", columns: layout.columns, single: layout.columns == 1, values: leaves.kept)
        return FeatureValueList(tensor.firstFeatureValues)
    }

    /// The layout of a tensor's checked `members` and whether it holds `BYTES`; nil when it has
    /// no shape or data, or its shape is not one a tensor read here has.
    private func layout(_ members: TensorMembers) -> (layout: (rows: Int, columns: Int, elements: Int), bytes: Bool)? {
        guard let shape = members.shape, members.data != nil, let layout = layout(at: shape) else { return nil }
        var bytesType = false
        if let datatype = members.datatype, bytes[datatype] == UInt8(ascii: "\"") {
            var copy = self
            copy.index = datatype
            _ = copy.skipString()
            bytesType = key(Key(start: datatype, end: copy.index), equals: "BYTES")
        }
        return (layout, bytesType)
    }

    /// The layout of the checked shape at `start`, as `Tensor` reads it from the shape's
    /// non-negative integers, without an array of them.
    private func layout(at start: Int) -> (rows: Int, columns: Int, elements: Int)? {
        guard bytes[start] == UInt8(ascii: "[") else { return nil }
        var cursor = self
        cursor.index = start + 1
        cursor.skipWhitespace()
        var dimensions = (0, 0)
        var count = 0
        while cursor.current != UInt8(ascii: "]") {
            // A third dimension is a rank no tensor here has, whatever it holds.
            guard count < 2, let dimension = cursor.dimension() else { return nil }
            if count == 0 { dimensions.0 = dimension } else { dimensions.1 = dimension }
            count += 1
            cursor.skipWhitespace()
            if cursor.current == UInt8(ascii: ",") {
                cursor.index += 1
                cursor.skipWhitespace()
            }
        }
        guard count > 0 else { return nil }
        return InferenceTensors.Tensor.layout(rows: dimensions.0, columns: count == 2 ? dimensions.1 : 1)
    }

    /// A non-negative integral number, as `Tensor.dimensions` accepts one; nil at anything else.
    private mutating func dimension() -> Int? {
        switch scalarNumber() {
        case .int(let value)? where value >= 0: value
        case .double(let value)? where value >= 0 && value < 1e15 && value == value.rounded(): Int(value)
        default: nil
        }
    }
}

/// Leaves counted and kept from bytes, as walking the parsed value counts and keeps them.
extension InferenceTensors.Leaves {
    /// Visits the checked value at the cursor and moves past it; false when it holds anything
    /// but lists and scalars (the cursor is then anywhere).
    mutating func walk(_ cursor: inout JSONParser.Cursor, depth: Int) -> Bool {
        guard let byte = cursor.current else { return false }
        switch byte {
        case UInt8(ascii: "["):
            guard depth < Self.maximumDepth else { return false }
            cursor.index += 1
            cursor.skipWhitespace()
            while cursor.current != UInt8(ascii: "]") {
                guard walk(&cursor, depth: depth + 1) else { return false }
                cursor.skipWhitespace()
                if cursor.current == UInt8(ascii: ",") {
                    cursor.index += 1
                    cursor.skipWhitespace()
                }
            }
            cursor.index += 1
            return true
        case UInt8(ascii: "{"), UInt8(ascii: "n"):
            return false
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            if count < keep { keepValue(.category(byte == UInt8(ascii: "t") ? "true" : "false")) }
            count += 1
            _ = cursor.skipValue(depth: 0)
            return true
        case UInt8(ascii: "\""):
            if count < keep {
                guard let text = cursor.decodedString(at: cursor.index) else { return false }
                keepValue(.category(text))
            }
            count += 1
            _ = cursor.skipString()
            return true
        default:
            let wanted = count < keep
            guard let number = cursor.scalarNumber() else { return false }
            if wanted {
                switch number {
                case .int(let value): keepValue(bytes ? .category(String(value)) : .number(Double(value)))
                case .double(let value): keepValue(bytes ? .category(String(value)) : .number(value))
                }
            }
            count += 1
            return true
        }
    }
}
