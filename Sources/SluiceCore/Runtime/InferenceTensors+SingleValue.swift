/// The usual answer of a model that scores one row (a fraud score, a class): one tensor of one
/// number, `"shape": [1]` or `[1, 1]`. The gateway reads every answer it remembers for
/// feedback, and the general reader (``InferenceTensors/firstFeature(inJSON:member:)``) walks
/// every member through callbacks that check as they go (~2,900 instructions for a 100-byte
/// answer). Here the bytes are checked by ``JSONChecker`` (its one tight loop, ~12
/// instructions a byte) and then only the path to that one value is walked, with nothing left
/// to check on the way (Benchmarks/README.md, "Hot path, slice 61").
extension InferenceTensors {
    /// What ``firstFeature(inJSON:member:)`` answers for `json`, when `json` is not JSON, not
    /// an object, has no `member`, or has the one-value answer first under it; nil (not decided)
    /// for anything else, and wherever a name on the way has an escape or a byte above ASCII,
    /// which the general reader then reads. `member` is plain ASCII.
    static func singleValueFeature(inJSON json: UnsafeBufferPointer<UInt8>, member: UnsafeBufferPointer<UInt8>) -> FeatureValueList?? {
        guard let base = json.baseAddress, let kind = JSONChecker.kind(of: base, count: json.count) else { return .some(nil) }
        guard kind == .object else { return .some(.many([])) }
        var scan = CheckedScan(base: base, end: json.count)
        scan.skipSpace()
        // Past the top-level object's `{`; every member before `member` is skipped.
        scan.index &+= 1
        while true {
            scan.skipSpace()
            guard scan.byte == UInt8(ascii: "\"") else { return .some(.many([])) }
            guard let key = scan.plainName() else { return nil }
            if scan.same(key, member) { break }
            scan.skipValue()
            scan.skipSpace()
            guard scan.byte == UInt8(ascii: ",") else { return .some(.many([])) }
            scan.index &+= 1
        }
        // `member`'s value: an array whose first item must be the one-value tensor.
        guard scan.byte == UInt8(ascii: "[") else { return .some(.many([])) }
        scan.index &+= 1
        scan.skipSpace()
        if scan.byte == UInt8(ascii: "]") { return .some(.many([])) }
        guard scan.byte == UInt8(ascii: "{"), let value = scan.singleValueTensor(json) else { return nil }
        return .some(value)
    }
}

/// A walk over bytes ``JSONChecker`` has accepted, so that nothing needs checking: a string
/// ends at its first unescaped quote, a container at its matching bracket, a scalar at the
/// first byte that cannot be in one.
private struct CheckedScan {
    let base: UnsafePointer<UInt8>
    let end: Int
    var index = 0

    init(base: UnsafePointer<UInt8>, end: Int) {
        self.base = base
        self.end = end
    }

    /// The byte at the index, 0 at the end (no token starts with it).
    var byte: UInt8 { index < end ? base[index] : 0 }

    mutating func skipSpace() {
        while index < end {
            let byte = base[index]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            index &+= 1
        }
    }

    /// The name at the opening quote, as the range of its bytes, when they stand for themselves
    /// (no escape, all ASCII); the index is then past the colon and the whitespace after it.
    mutating func plainName() -> Range<Int>? {
        guard let name = plainString() else { return nil }
        skipSpace()
        index &+= 1
        skipSpace()
        return name
    }

    /// The string at the opening quote, as the range of its bytes, when plain; the index is
    /// then past its closing quote. Eight bytes at a time: the first quote, backslash, control
    /// or non-ASCII byte ends the plain run, and only a quote ends it well.
    mutating func plainString() -> Range<Int>? {
        let start = index &+ 1
        var position = start
        while position &+ 8 <= end {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
            let stops = JSONParser.Cursor.stringStops(word) | word & 0x8080_8080_8080_8080
            if stops != 0 {
                position &+= stops.trailingZeroBitCount >> 3
                return closePlain(start, position)
            }
            position &+= 8
        }
        while position < end {
            let byte = base[position]
            if byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") || byte >= 0x80 { return closePlain(start, position) }
            position &+= 1
        }
        return nil
    }

    private mutating func closePlain(_ start: Int, _ position: Int) -> Range<Int>? {
        guard position < end, base[position] == UInt8(ascii: "\"") else { return nil }
        index = position &+ 1
        return start..<position
    }

    /// Past the string at the opening quote, escapes and all.
    mutating func skipString() {
        var position = index &+ 1
        while position < end {
            if position &+ 8 <= end {
                let stops = JSONParser.Cursor.stringStops(UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self)))
                if stops == 0 {
                    position &+= 8
                    continue
                }
                position &+= stops.trailingZeroBitCount >> 3
            }
            let byte = base[position]
            if byte == UInt8(ascii: "\"") {
                index = position &+ 1
                return
            }
            // A backslash and the byte it escapes (a `u` escape's four hex digits are plain bytes).
            position &+= byte == UInt8(ascii: "\\") ? 2 : 1
        }
        index = end
    }

    /// Past the value at the index.
    mutating func skipValue() {
        switch byte {
        case UInt8(ascii: "\""):
            skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while index < end {
                switch base[index] {
                case UInt8(ascii: "\""):
                    skipString()
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth &+= 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth &-= 1
                    if depth == 0 {
                        index &+= 1
                        return
                    }
                default:
                    break
                }
                index &+= 1
            }
        default:
            while index < end {
                let byte = base[index]
                if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") || byte <= 0x20 { return }
                index &+= 1
            }
        }
    }

    func same(_ range: Range<Int>, _ other: UnsafeBufferPointer<UInt8>) -> Bool {
        JSONParser.Cursor.same(UnsafeBufferPointer(start: base + range.lowerBound, count: range.count), other)
    }

    func same(_ range: Range<Int>, _ word: StaticString) -> Bool {
        range.count == word.utf8CodeUnitCount && same(range, UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount))
    }

    /// The one value of the tensor object at the `{` (first of each name, as
    /// ``JSONParser/Cursor/tensorMembers(depth:)`` notes them): a string `name`, a `shape` of
    /// `[1]` or `[1, 1]`, a `datatype` that is not `BYTES`, and `data` holding one number,
    /// `[x]` or `[[x]]`; nil for any other tensor.
    mutating func singleValueTensor(_ json: UnsafeBufferPointer<UInt8>) -> FeatureValueList? {
        index &+= 1
        var members = JSONParser.Cursor.TensorMembers()
        while true {
            skipSpace()
            guard byte == UInt8(ascii: "\"") else { break }
            guard let key = plainName() else { return nil }
            let value = index
            switch key.count {
            case 4 where members.name == nil && same(key, "name"): members.name = value
            case 4 where members.data == nil && same(key, "data"): members.data = value
            case 5 where members.shape == nil && same(key, "shape"): members.shape = value
            case 8 where members.datatype == nil && same(key, "datatype"): members.datatype = value
            default: break
            }
            skipValue()
            skipSpace()
            guard byte == UInt8(ascii: ",") else { break }
            index &+= 1
        }
        guard let name = members.name, base[name] == UInt8(ascii: "\""), let shape = members.shape, let data = members.data else { return nil }
        if let datatype = members.datatype, base[datatype] == UInt8(ascii: "\"") {
            index = datatype
            // `BYTES` keeps its value as text; an escaped or non-ASCII type is the general reader's.
            guard let type = plainString(), !same(type, "BYTES") else { return nil }
        }
        index = shape
        guard isOneShape() else { return nil }
        index = data
        return oneNumber(json).map { .one(.number($0)) }
    }

    /// Whether the array at the index is `[1]` or `[1, 1]` (whitespace aside).
    private mutating func isOneShape() -> Bool {
        guard byte == UInt8(ascii: "[") else { return false }
        for dimension in 0..<2 {
            index &+= 1
            skipSpace()
            guard byte == UInt8(ascii: "1") else { return false }
            index &+= 1
            skipSpace()
            if byte == UInt8(ascii: "]") { return true }
            guard dimension == 0, byte == UInt8(ascii: ",") else { return false }
        }
        return false
    }

    /// The number in the `[x]` or `[[x]]` at the index, converted as the general reader
    /// converts it (``JSONParser/Cursor/scalarNumber()``); nil for anything else.
    private mutating func oneNumber(_ json: UnsafeBufferPointer<UInt8>) -> Double? {
        var depth = 0
        while byte == UInt8(ascii: "["), depth < 2 {
            depth &+= 1
            index &+= 1
            skipSpace()
        }
        guard depth > 0, byte == UInt8(ascii: "-") || byte &- UInt8(ascii: "0") < 10 else { return nil }
        var cursor = JSONParser.Cursor(bytes: json)
        cursor.index = index
        let number: Double
        switch cursor.scalarNumber() {
        case .int(let value)?: number = Double(value)
        case .double(let value)?: number = value
        case nil: return nil
        }
        index = cursor.index
        for _ in 0..<depth {
            skipSpace()
            guard byte == UInt8(ascii: "]") else { return nil }
            index &+= 1
        }
        return number
    }
}
