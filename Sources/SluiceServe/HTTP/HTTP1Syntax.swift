import SluiceCore

/// The byte-level grammar of HTTP/1.1 (RFC 9110 §5.6, RFC 9112) shared by the request parser
/// and the upstream response reader: token bytes, field lines, line ends.
enum HTTP1Syntax {
    static let cr: UInt8 = 13
    static let lf: UInt8 = 10
    static let space: UInt8 = 32
    static let tab: UInt8 = 9
    static let colon: UInt8 = 58

    /// Whether `byte` is a `tchar` of RFC 9110 §5.6.2 (`!#$%&'*+-.^_`|~`, digits, letters): a
    /// 128-bit mask given as literals, so the test is a few instructions with no lazily
    /// initialized global to check on each byte (`HTTP1SyntaxTests` checks the mask).
    @inline(__always)
    static func isToken(_ byte: UInt8) -> Bool {
        let mask: UInt64 = byte < 64 ? 0x03FF_6CFA_0000_0000 : 0x57FF_FFFF_C7FF_FFFE
        return byte < 128 && (mask >> UInt64(byte & 63)) & 1 != 0
    }

    /// `field-vchar`, space or tab: anything but a control character (obs-text included).
    @inline(__always)
    static func isFieldValue(_ byte: UInt8) -> Bool {
        byte >= 32 ? byte != 127 : byte == tab
    }

    /// A field line `name ":" OWS value OWS CRLF` starting at `start`: the name's and the
    /// trimmed value's ranges, and where the next line starts (after the LF). Strict: no
    /// leading whitespace (obs-fold), no whitespace before the colon, a token name, no control
    /// character but tab in the value, the line ended by CRLF (a CR anywhere else is refused).
    /// The value is searched 8 bytes at a time for its first control character, which is
    /// where it ends. The caller knows that the line ends in CRLF within `bytes`; the reads
    /// stay inside `bytes` all the same.
    static func fieldLine(
        _ bytes: UnsafeRawBufferPointer, at start: Int
    ) throws(HTTP1ParseError) -> (name: Range<Int>, value: Range<Int>, next: Int) {
        let count = bytes.count
        guard start < count else { throw .invalidHeaderName }
        let first = bytes[start]
        if first == space || first == tab { throw .obsoleteLineFolding }
        var index = commonNameEnd(bytes, from: start)
        while index < count, isToken(bytes[index]) { index += 1 }
        guard index < count, index > start else { throw .invalidHeaderName }
        let separator = bytes[index]
        guard separator == colon else {
            throw separator == space || separator == tab ? .whitespaceBeforeColon : .invalidHeaderName
        }
        let name = start..<index
        index += 1
        while index < count, bytes[index] == space || bytes[index] == tab { index += 1 }
        let valueStart = index
        // The value ends at its first control character other than tab, which must be the
        // line's CR, followed by its LF.
        var stop = firstControl(bytes, from: index)
        while stop < count, bytes[stop] == tab { stop = firstControl(bytes, from: stop + 1) }
        guard stop + 1 < count, bytes[stop] == cr, bytes[stop + 1] == lf else { throw .invalidHeaderValue }
        var valueEnd = stop
        while valueEnd > valueStart, bytes[valueEnd - 1] == space || bytes[valueEnd - 1] == tab { valueEnd -= 1 }
        return (name, valueStart..<valueEnd, stop + 2)
    }

    /// The index of the first byte at or after `from` that is not a letter, a digit or `-`
    /// (the bytes of nearly every field name, all of them `tchar`), or where fewer than eight
    /// bytes are left: the name's other bytes are then read one at a time with ``isToken(_:)``.
    /// Eight bytes at a time, each byte's high bit cleared first so that no sum below carries
    /// into the next byte (a byte of 0x80 and over is refused by `ascii`): `b + (0x80 - n)`
    /// has its high bit set exactly when `b >= n`. A byte at a time cost ~10 instructions
    /// (Benchmarks/README.md, "Hot path, slice 54").
    @inline(__always)
    static func commonNameEnd(_ bytes: UnsafeRawBufferPointer, from: Int) -> Int {
        var index = from
        guard let base = bytes.baseAddress else { return index }
        let count = bytes.count
        let high: UInt64 = 0x8080_8080_8080_8080
        while index &+ 8 <= count {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let ascii = ~word & high
            let low = word & 0x7F7F_7F7F_7F7F_7F7F
            let folded = low | 0x2020_2020_2020_2020
            // At least "a" (0x61) and below "{" (0x7B), after folding: A-Z and a-z.
            let letter = (folded &+ 0x1F1F_1F1F_1F1F_1F1F) & ~(folded &+ 0x0505_0505_0505_0505)
            // At least "0" (0x30) and below ":" (0x3A).
            let digit = (low &+ 0x5050_5050_5050_5050) & ~(low &+ 0x4646_4646_4646_4646)
            // Zero after `^ "-"`: below 1.
            let dash = ~((low ^ 0x2D2D_2D2D_2D2D_2D2D) &+ 0x7F7F_7F7F_7F7F_7F7F)
            let common = (letter | digit | dash) & ascii
            if common != high { return index + (~common & high).trailingZeroBitCount >> 3 }
            index += 8
        }
        return index
    }

    /// The index of the first control character (below space, or DEL) at or after `from` in
    /// `bytes`, or `bytes.count` when there is none. Eight bytes at a time: a byte below 0x20
    /// sets its high bit in `(word - 0x20…) & ~word`, DEL in the same test for zero after
    /// `word ^ 0x7F…`; a borrow only runs upwards from such a byte, so the lowest flagged byte
    /// (the first in memory, the word being read little-endian) is exact.
    @inline(__always)
    static func firstControl(_ bytes: UnsafeRawBufferPointer, from: Int) -> Int {
        ShortBytes.firstStop(bytes, from: from, to: bytes.count) { word in
            let deleted = word ^ 0x7F7F_7F7F_7F7F_7F7F
            return ((word &- 0x2020_2020_2020_2020) & ~word | (deleted &- 0x0101_0101_0101_0101) & ~deleted) & 0x8080_8080_8080_8080
        } stops: { byte in
            byte < space || byte == 127
        }
    }

    /// The index of the first byte at or after `from` that is not visible ASCII (33...126: a
    /// space, a control character, DEL or above), or `bytes.count`: where a request target
    /// ends. Eight bytes at a time: a byte below 0x21 sets its high bit in `(word - 0x21…) &
    /// ~word`, one of 0x7F and over in `(word + 0x01…) | word`; a borrow or a carry only runs
    /// upwards, so the lowest flagged byte is exact. A byte at a time cost ~7 instructions.
    @inline(__always)
    static func visibleRunEnd(_ bytes: UnsafeRawBufferPointer, from: Int) -> Int {
        ShortBytes.firstStop(bytes, from: from, to: bytes.count) { word in
            ((word &- 0x2121_2121_2121_2121) & ~word | (word &+ 0x0101_0101_0101_0101) | word) & 0x8080_8080_8080_8080
        } stops: { byte in
            byte <= space || byte >= 127
        }
    }

    /// Whether `bytes[range]` equals `lowercase` (ASCII letters folded; `lowercase` given in
    /// lower case, ``isFoldable(_:)``: every name, option and scheme the parsers compare).
    @inline(__always)
    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercase: StaticString) -> Bool {
        assert(isFoldable(UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)), "\(lowercase) is not foldable")
        return equalsFoldable(bytes, range, UnsafeRawPointer(lowercase.utf8Start), count: lowercase.utf8CodeUnitCount)
    }

    /// Whether every byte of `name` is a lower-case letter or one of space, digits and
    /// ``!"#$%&'()*+,-./:;<=>?`` (0x20-0x3F): the names ``equalsFoldable(_:_:_:count:)``
    /// compares with. For those, `byte | 0x20` matches only the byte itself, its upper case,
    /// or a control character.
    static func isFoldable(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        name.allSatisfy { (97...122).contains($0) || (32...63).contains($0) }
    }

    /// Whether `bytes[range]` equals the `count` bytes at `foldable` (``isFoldable(_:)``),
    /// ASCII letters folded, eight bytes at a time (lengths 4-7 as two overlapping 4-byte
    /// reads, 8 and over as words with the last one overlapping): `byte | 0x20` equals such a
    /// name's byte exactly for that byte and its upper case, and otherwise only for a control
    /// character (`-` and `0x0D`, a digit and `0x10…0x19`, `/` and `0x0F`), which is tested
    /// for apart. A byte
    /// at a time cost ~10 instructions (Benchmarks/README.md, "Hot path, slice 51").
    @inline(__always)
    static func equalsFoldable(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ foldable: UnsafeRawPointer, count: Int) -> Bool {
        guard range.count == count else { return false }
        guard count >= 4, let start = bytes.baseAddress.map({ $0 + range.lowerBound }) else {
            for offset in 0..<count {
                let byte = bytes[range.lowerBound + offset]
                guard byte >= space, byte | 0x20 == foldable.load(fromByteOffset: offset, as: UInt8.self) else { return false }
            }
            return true
        }
        if count < 8 {
            return sameFolded32(start, foldable, 0) && sameFolded32(start, foldable, count - 4)
        }
        var offset = 0
        while offset + 8 < count {
            guard sameFolded64(start, foldable, offset) else { return false }
            offset += 8
        }
        return sameFolded64(start, foldable, count - 8)
    }

    /// Whether the word at `offset` of `text`, its letters folded, is the one of `foldable`,
    /// with no byte of it below space.
    @inline(__always)
    private static func sameFolded64(_ text: UnsafeRawPointer, _ foldable: UnsafeRawPointer, _ offset: Int) -> Bool {
        let word = text.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        let expected = foldable.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        let controls = (word &- 0x2020_2020_2020_2020) & ~word & 0x8080_8080_8080_8080
        return word | 0x2020_2020_2020_2020 == expected && controls == 0
    }

    /// ``sameFolded64(_:_:_:)`` for four bytes. Two functions, not one generic over the width:
    /// the generic one, inlined all the same, cost ~230 instructions more a request.
    @inline(__always)
    private static func sameFolded32(_ text: UnsafeRawPointer, _ foldable: UnsafeRawPointer, _ offset: Int) -> Bool {
        let word = text.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        let expected = foldable.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        let controls = (word &- 0x2020_2020) & ~word & 0x8080_8080
        return word | 0x2020_2020 == expected && controls == 0
    }

    /// Whether `bytes[range]` equals `other` ignoring ASCII case: only A-Z are folded, in `other`
    /// too unless it is known to be in lower case (`otherIsLowercase`: the names the parsers
    /// and the name sets compare with; a configured header name may be in any case).
    @inline(__always)
    static func equalsIgnoringCase(
        _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ other: UnsafeBufferPointer<UInt8>, otherIsLowercase: Bool = true
    ) -> Bool {
        guard range.count == other.count else { return false }
        var offset = 0
        for index in range {
            var byte = bytes[index]
            var expected = other[offset]
            if byte >= 65, byte <= 90 { byte |= 0x20 }
            if !otherIsLowercase, expected >= 65, expected <= 90 { expected |= 0x20 }
            if byte != expected { return false }
            offset += 1
        }
        return true
    }

    /// Whether `bytes[name]` is a name the writers always set themselves, in any letter case:
    /// the framing fields (`content-length`, `connection`, `transfer-encoding`) and `host` (the
    /// upstream request writer's; an answer has no use for one). Copied field lines
    /// (``ForwardedFields``) never carry them.
    @inline(__always)
    static func isFramingName(_ bytes: UnsafeRawBufferPointer, _ name: Range<Int>) -> Bool {
        switch name.count {
        case 4: equalsIgnoringCase(bytes, name, "host")
        case 14: equalsIgnoringCase(bytes, name, "content-length")
        case 10: equalsIgnoringCase(bytes, name, "connection")
        case 17: equalsIgnoringCase(bytes, name, "transfer-encoding")
        default: false
        }
    }

    /// Whether `text` holds a CR or an LF, which would end a field line early (response
    /// splitting). Read over its contiguous UTF-8 in place (the `UTF8View` walk cost ~20
    /// instructions a byte).
    static func hasLineBreak(_ text: String) -> Bool {
        text.withContiguousUTF8 { hasLineBreak(UnsafeRawBufferPointer($0)) }
    }

    /// Whether `bytes` holds a CR or an LF. Eight bytes at a time: a word holds a zero byte
    /// exactly when `(word - 0x01…) & ~word & 0x80…` is not zero, tested after `word ^ 0x0D…`
    /// and after `word ^ 0x0A…`.
    static func hasLineBreak(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        var index = 0
        if let base = bytes.baseAddress {
            while index &+ 8 <= count {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let returns = word ^ 0x0D0D_0D0D_0D0D_0D0D
                let feeds = word ^ 0x0A0A_0A0A_0A0A_0A0A
                let flags = ((returns &- 0x0101_0101_0101_0101) & ~returns | (feeds &- 0x0101_0101_0101_0101) & ~feeds) & 0x8080_8080_8080_8080
                if flags != 0 { return true }
                index += 8
            }
        }
        while index < count {
            if bytes[index] == cr || bytes[index] == lf { return true }
            index += 1
        }
        return false
    }

    /// Whether the string `name` equals `lowercase` (an all-lowercase ASCII name) ignoring
    /// ASCII case, without allocating a lowercased copy of `name`. Only A-Z are folded.
    @inline(__always)
    static func equalsLowercase(_ name: String, _ lowercase: String) -> Bool {
        name.utf8.count == lowercase.utf8.count
            && name.utf8.elementsEqual(lowercase.utf8) { $0 == $1 || ($0 >= 0x41 && $0 <= 0x5A && $0 | 0x20 == $1) }
    }

    /// The next line end at or after `from` in `bytes`: the index of its LF, which must follow
    /// a CR (else `bareLineFeed`); nil when no LF has arrived yet. Eight bytes at a time (the
    /// test for a zero byte after `word ^ 0x0A…`, exact for the lowest flagged byte).
    @inline(__always)
    static func lineFeed(_ bytes: UnsafeRawBufferPointer, from: Int, lineStart: Int) throws(HTTP1ParseError) -> Int? {
        var index = from
        let count = bytes.count
        if let base = bytes.baseAddress {
            while index &+ 8 <= count {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self)) ^ 0x0A0A_0A0A_0A0A_0A0A
                let flags = (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
                if flags != 0 {
                    index += flags.trailingZeroBitCount >> 3
                    return try checkedLineFeed(bytes, index, lineStart: lineStart)
                }
                index += 8
            }
        }
        while index < count {
            if bytes[index] == lf { return try checkedLineFeed(bytes, index, lineStart: lineStart) }
            index += 1
        }
        return nil
    }

    /// `index`, the place of an LF, if a CR of the same line comes before it.
    @inline(__always)
    private static func checkedLineFeed(_ bytes: UnsafeRawBufferPointer, _ index: Int, lineStart: Int) throws(HTTP1ParseError) -> Int {
        guard index > lineStart, bytes[index - 1] == cr else { throw .bareLineFeed }
        return index
    }

    /// A decimal length of 1 to 18 digits (so it cannot overflow), nothing else.
    static func decimalLength(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var value = 0
        for index in range {
            let digit = bytes[index] &- 48
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }
}
