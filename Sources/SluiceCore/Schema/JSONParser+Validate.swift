/// Checking that bytes are JSON without building a `JSONValue`: the gateway does it for
/// every request body, and reads only a member or two of the bodies it looks into.
extension JSONParser {
    /// The kind of a document's top-level value.
    public enum Kind: Sendable, Equatable {
        case object, array, scalar
    }

    /// The kind of the document's top-level value when ``parse(_:)-(UnsafeBufferPointer<UInt8>)``
    /// would accept it, nil when it would throw. Same grammar and nesting bound, no
    /// allocation; call `parse` for the error's position and wording.
    public static func validate(_ buffer: UnsafeBufferPointer<UInt8>) -> Kind? {
        guard let base = buffer.baseAddress else { return nil }
        return JSONChecker.kind(of: base, count: buffer.count)
    }
}

extension JSONParser.Cursor {
    /// Moves past one value, checking it the way ``value(depth:)`` reads it; false where
    /// that would throw (the index is then somewhere inside the value).
    mutating func skipValue(depth: Int) -> Bool {
        guard let byte = current else { return false }
        switch byte {
        case UInt8(ascii: "{"): return skipObject(depth: depth + 1)
        case UInt8(ascii: "["): return skipArray(depth: depth + 1)
        case UInt8(ascii: "\""): return skipString()
        case UInt8(ascii: "t"): return skipLiteral("true")
        case UInt8(ascii: "f"): return skipLiteral("false")
        case UInt8(ascii: "n"): return skipLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return skipNumber()
        default: return false
        }
    }

    private mutating func skipLiteral(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        let start = word.utf8Start
        for offset in 0..<count where bytes[index + offset] != start[offset] { return false }
        index += count
        return true
    }

    /// The grammar of objects and arrays is ``checkedMembers(depth:_:)`` and
    /// ``checkedItems(depth:_:)``, which the gateway's answer reader walks with callbacks.
    private mutating func skipObject(depth: Int) -> Bool {
        checkedMembers(depth: depth) { cursor, _ in cursor.skipValue(depth: depth) }
    }

    private mutating func skipArray(depth: Int) -> Bool {
        checkedItems(depth: depth) { $0.skipValue(depth: depth) }
    }

    /// A member name's quotes: the opening one and the index past the closing one.
    struct Key {
        let start: Int
        let end: Int
    }

    /// From an object's `{` at nesting `depth`: checks each member's name, then calls `value` with the cursor at its value, which must check and move
    /// past it at `depth` (false when it is not JSON). False when the object is not JSON.
    mutating func checkedMembers(depth: Int, _ value: (inout Self, Key) -> Bool) -> Bool {
        guard depth <= JSONParser.maximumDepth else { return false }
        index += 1
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return true
        }
        while true {
            skipWhitespace()
            let start = index
            guard current == UInt8(ascii: "\""), skipString() else { return false }
            let key = Key(start: start, end: index)
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { return false }
            index += 1
            skipWhitespace()
            guard value(&self, key) else { return false }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return true
            default: return false
            }
        }
    }

    /// From an array's `[` at nesting `depth`: calls `item` at each item, which must check and
    /// move past it at `depth`. False when the array is not JSON.
    mutating func checkedItems(depth: Int, _ item: (inout Self) -> Bool) -> Bool {
        guard depth <= JSONParser.maximumDepth else { return false }
        index += 1
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return true
        }
        while true {
            skipWhitespace()
            guard item(&self) else { return false }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return true
            default: return false
            }
        }
    }

    /// A string from its opening quote; true for what ``string()`` accepts (it repairs
    /// invalid UTF-8 and lone surrogates rather than refusing them, and so does this).
    @inline(__always)
    mutating func skipString() -> Bool {
        index += 1
        // The usual string, a key or a short value: its closing quote within the next eight
        // bytes and no escape or control character before it, found in one word, inlined, with
        // no loop and no call (the gateway's ~18 strings a request, ~65 instructions each,
        // took ~1,170 in all; ~450 fewer this way: Benchmarks/README.md, "Hot path, slice 56").
        if let base = bytes.baseAddress, index &+ 8 <= bytes.count {
            let flags = Self.stringStops(UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)))
            if flags != 0 {
                let stop = index &+ flags.trailingZeroBitCount >> 3
                if base[stop] == UInt8(ascii: "\"") {
                    index = stop &+ 1
                    return true
                }
            }
        }
        return skipStringRest()
    }

    /// The rest of a string from `index`, past its opening quote: ``skipString()`` beyond its
    /// first word.
    mutating func skipStringRest() -> Bool {
        while true {
            skipPlainStringBytes()
            guard let byte = current else { return false }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return true
            case UInt8(ascii: "\\"):
                index += 1
                guard let escape = current else { return false }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    break
                case UInt8(ascii: "u"):
                    guard let code = readHex4() else { return false }
                    if (0xD800..<0xDC00).contains(code), current == UInt8(ascii: "\\"),
                       index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") {
                        index += 2
                        guard let low = readHex4(), (0xDC00..<0xE000).contains(low) else { return false }
                    }
                default:
                    return false
                }
            default:
                // A control character: skipPlainStringBytes stops only there, at a quote or a backslash.
                return false
            }
        }
    }

    /// Moves to the string's next quote, backslash or control character (or its end): the
    /// bytes between need no check but their value. Eight bytes at a time, as
    /// `HTTP1Syntax.firstControl` reads a field value: a byte below 0x20 sets its high bit in
    /// `(word - 0x20…) & ~word`, a quote or a backslash in the same test for zero after
    /// `word ^ 0x22…` or `word ^ 0x5C…`; a borrow only runs upwards from such a byte, so the
    /// lowest flagged byte (the first in memory, the word read little-endian) is exact.
    @inline(__always)
    private mutating func skipPlainStringBytes() {
        guard let base = bytes.baseAddress else { return }
        let count = bytes.count
        var position = index
        while position &+ 8 <= count {
            let flags = Self.stringStops(UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self)))
            if flags != 0 {
                index = position + flags.trailingZeroBitCount >> 3
                return
            }
            position += 8
        }
        while position < count {
            let byte = base[position]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            position += 1
        }
        index = position
    }

    /// The high bit of each byte of `word` (eight string bytes, read little-endian) that is a
    /// quote, a backslash or a control character, exact for the lowest flagged byte.
    @inline(__always)
    static func stringStops(_ word: UInt64) -> UInt64 {
        let quote = word ^ 0x2222_2222_2222_2222
        let backslash = word ^ 0x5C5C_5C5C_5C5C_5C5C
        return ((quote &- 0x0101_0101_0101_0101) & ~quote | (backslash &- 0x0101_0101_0101_0101) & ~backslash
            | (word &- 0x2020_2020_2020_2020) & ~word) & 0x8080_8080_8080_8080
    }

    /// Four hex digits as a code unit; nil at the first that is not one (the index is then on it).
    mutating func readHex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var code: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            code = code << 4 | UInt32(digit)
            index += 1
        }
        return code
    }

    /// A number's grammar (``JSONChecker/number(_:_:_:first:)``).
    private mutating func skipNumber() -> Bool {
        guard let first = current, let base = bytes.baseAddress else { return false }
        return JSONChecker.number(base, bytes.count, &index, first: first)
    }
}
