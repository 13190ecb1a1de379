/// Whether bytes are one JSON document, as ``JSONParser/parse(_:)-(UnsafeBufferPointer<UInt8>)``
/// would accept them, in one loop over the bytes: the gateway checks every inference body
/// and every answer it reads. The open containers' kinds are two words of bits, the index
/// a local (a cursor passed by reference to a call per value kept it in memory), and
/// whitespace, a string's escapes and its control characters leave the loop for calls of
/// their own, so that the usual token is a few compares (Benchmarks/README.md, "Hot path,
/// slice 59": the benchmark's request body 1,624 -> ~1,240 instructions).
enum JSONChecker {
    /// The document's top-level kind, nil when it is not JSON (same grammar and nesting bound
    /// as the parser).
    static func kind(of base: UnsafePointer<UInt8>, count end: Int) -> JSONParser.Kind? {
        var index = 0
        let first = next(base, end, &index)
        let kind: JSONParser.Kind = first == UInt8(ascii: "{") ? .object : first == UInt8(ascii: "[") ? .array : .scalar
        // The open containers' kinds, the innermost in bit 0 of `low` (1: an object).
        var low: UInt64 = 0
        var high: UInt64 = 0
        var depth = 0
        var inObject = false
        value: while true {
            let byte = next(base, end, &index)
            switch byte {
            case UInt8(ascii: "\""):
                guard string(base, end, &index) else { return nil }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard depth < JSONParser.maximumDepth else { return nil }
                let object = byte == UInt8(ascii: "{")
                high = high << 1 | low >> 63
                low = low << 1 | (object ? 1 : 0)
                depth &+= 1
                inObject = object
                index &+= 1
                if next(base, end, &index) != (object ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    if object { guard member(base, end, &index) else { return nil } }
                    continue value
                }
                // Empty: closed at once, and a value of the container around it.
                index &+= 1
                low = low >> 1 | high << 63
                high >>= 1
                depth &-= 1
                inObject = low & 1 != 0
            case UInt8(ascii: "t"):
                guard literal(base, end, &index, "true") else { return nil }
            case UInt8(ascii: "f"):
                guard literal(base, end, &index, "fals"), index < end, base[index] == UInt8(ascii: "e") else { return nil }
                index &+= 1
            case UInt8(ascii: "n"):
                guard literal(base, end, &index, "null") else { return nil }
            default:
                guard number(base, end, &index, first: byte) else { return nil }
            }
            // After a value: a comma goes on to the next one, a closing bracket ends its container.
            while depth > 0 {
                let after = next(base, end, &index)
                if after == UInt8(ascii: ",") {
                    index &+= 1
                    if inObject { guard member(base, end, &index) else { return nil } }
                    continue value
                }
                guard after == (inObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return nil }
                index &+= 1
                low = low >> 1 | high << 63
                high >>= 1
                depth &-= 1
                inObject = low & 1 != 0
            }
            return spaceEnd(base, end, index) == end ? kind : nil
        }
    }

    /// The byte at `index` once whitespace is passed (`index` moved to it), or 0 at the end: a
    /// NUL byte starts no token either, so both are refused alike.
    @inline(__always)
    private static func next(_ base: UnsafePointer<UInt8>, _ end: Int, _ index: inout Int) -> UInt8 {
        if index < end {
            let byte = base[index]
            if byte > 0x20 { return byte }
        }
        index = spaceEnd(base, end, index)
        return index < end ? base[index] : 0
    }

    /// The index of the first byte at or after `start` that is not JSON whitespace.
    @inline(never)
    private static func spaceEnd(_ base: UnsafePointer<UInt8>, _ end: Int, _ start: Int) -> Int {
        var index = start
        while index < end {
            let byte = base[index]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { break }
            index &+= 1
        }
        return index
    }

    /// A member's name and its colon, from whitespace before the name.
    @inline(__always)
    private static func member(_ base: UnsafePointer<UInt8>, _ end: Int, _ index: inout Int) -> Bool {
        guard next(base, end, &index) == UInt8(ascii: "\""), string(base, end, &index),
              next(base, end, &index) == UInt8(ascii: ":")
        else { return false }
        index &+= 1
        return true
    }

    /// The four bytes of `word` at `index`.
    @inline(__always)
    private static func literal(_ base: UnsafePointer<UInt8>, _ end: Int, _ index: inout Int, _ word: StaticString) -> Bool {
        guard end &- index >= 4,
              UnsafeRawPointer(base + index).loadUnaligned(as: UInt32.self)
                == UnsafeRawPointer(word.utf8Start).loadUnaligned(as: UInt32.self)
        else { return false }
        index &+= 4
        return true
    }

    /// A number's grammar from its first byte `first` at `index` (every grammatical number
    /// converts: an overflowing one to ±infinity); false at anything else.
    @inline(__always)
    static func number(_ base: UnsafePointer<UInt8>, _ end: Int, _ index: inout Int, first: UInt8) -> Bool {
        var byte = first
        if byte == UInt8(ascii: "-") {
            index &+= 1
            guard index < end else { return false }
            byte = base[index]
        }
        if byte == UInt8(ascii: "0") {
            index &+= 1
        } else {
            guard byte &- UInt8(ascii: "1") < 9 else { return false }
            index &+= 1
            digits(base, end, &index)
        }
        guard index < end else { return true }
        if base[index] == UInt8(ascii: ".") {
            index &+= 1
            guard index < end, base[index] &- UInt8(ascii: "0") < 10 else { return false }
            digits(base, end, &index)
            guard index < end else { return true }
        }
        if base[index] | 0x20 == UInt8(ascii: "e") {
            index &+= 1
            if index < end, base[index] == UInt8(ascii: "+") || base[index] == UInt8(ascii: "-") { index &+= 1 }
            guard index < end, base[index] &- UInt8(ascii: "0") < 10 else { return false }
            digits(base, end, &index)
        }
        return true
    }

    @inline(__always)
    private static func digits(_ base: UnsafePointer<UInt8>, _ end: Int, _ index: inout Int) {
        while index < end, base[index] &- UInt8(ascii: "0") < 10 { index &+= 1 }
    }

    /// A string from its opening quote at `index`: eight bytes at a time to its first quote,
    /// backslash or control character (``JSONParser/Cursor/stringStops(_:)``); one that is not
    /// the closing quote is read on by ``JSONParser/Cursor/skipStringRest()``.
    @inline(__always)
    private static func string(_ base: UnsafePointer<UInt8>, _ end: Int, _ index: inout Int) -> Bool {
        var position = index &+ 1
        while position &+ 8 <= end {
            let stops = JSONParser.Cursor.stringStops(UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self)))
            if stops != 0 {
                position &+= stops.trailingZeroBitCount >> 3
                if base[position] == UInt8(ascii: "\"") {
                    index = position &+ 1
                    return true
                }
                break
            }
            position &+= 8
        }
        index = stringRest(base, end, position)
        return index >= 0
    }

    /// Past the closing quote of the string whose bytes go on at `position`, or -1 when they
    /// are not a string's.
    @inline(never)
    private static func stringRest(_ base: UnsafePointer<UInt8>, _ end: Int, _ position: Int) -> Int {
        var cursor = JSONParser.Cursor(bytes: UnsafeBufferPointer(start: base, count: end))
        cursor.index = position
        return cursor.skipStringRest() ? cursor.index : -1
    }
}

