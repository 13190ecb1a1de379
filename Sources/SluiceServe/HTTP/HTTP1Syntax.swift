/// The byte-level grammar of HTTP/1.1 (RFC 9110 §5.6, RFC 9112) shared by the request parser
/// and the upstream response reader: token bytes, field lines, line ends.
enum HTTP1Syntax {
    static let cr: UInt8 = 13
    static let lf: UInt8 = 10
    static let space: UInt8 = 32
    static let tab: UInt8 = 9
    static let colon: UInt8 = 58

    /// `tchar` of RFC 9110 §5.6.2, as a 128-bit mask.
    private static let tokenMask: (low: UInt64, high: UInt64) = {
        var low: UInt64 = 0
        var high: UInt64 = 0
        for byte in Array("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8) {
            if byte < 64 { low |= 1 << UInt64(byte) } else { high |= 1 << UInt64(byte - 64) }
        }
        return (low, high)
    }()

    @inline(__always)
    static func isToken(_ byte: UInt8) -> Bool {
        byte < 64 ? tokenMask.low & (1 << UInt64(byte)) != 0 : byte < 128 && tokenMask.high & (1 << UInt64(byte - 64)) != 0
    }

    /// `field-vchar`, space or tab: anything but a control character (obs-text included).
    @inline(__always)
    static func isFieldValue(_ byte: UInt8) -> Bool {
        byte >= 32 ? byte != 127 : byte == tab
    }

    /// A field line `name ":" OWS value OWS` in `bytes[start..<end]` (CRLF excluded): the
    /// name's and the trimmed value's ranges. Strict: no leading whitespace (obs-fold), no
    /// whitespace before the colon, a token name, no control characters in the value.
    static func fieldLine(
        _ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int
    ) throws(HTTP1ParseError) -> (name: Range<Int>, value: Range<Int>) {
        let first = bytes[start]
        if first == space || first == tab { throw .obsoleteLineFolding }
        var index = start
        while index < end, isToken(bytes[index]) { index += 1 }
        guard index < end, index > start else { throw .invalidHeaderName }
        let separator = bytes[index]
        guard separator == colon else {
            throw separator == space || separator == tab ? .whitespaceBeforeColon : .invalidHeaderName
        }
        let name = start..<index
        index += 1
        while index < end, bytes[index] == space || bytes[index] == tab { index += 1 }
        let valueStart = index
        var valueEnd = index
        while index < end {
            let byte = bytes[index]
            guard isFieldValue(byte) else { throw .invalidHeaderValue }
            index += 1
            if byte != space, byte != tab { valueEnd = index }
        }
        return (name, valueStart..<valueEnd)
    }

    /// Whether `bytes[range]` equals `lowercase` (ASCII letters folded; `lowercase` given in lower case).
    @inline(__always)
    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercase: StaticString) -> Bool {
        equalsIgnoringCase(bytes, range, UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount))
    }

    /// Whether `bytes[range]` equals `lowercase` (lower-case bytes) ignoring ASCII case.
    @inline(__always)
    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercase: UnsafeBufferPointer<UInt8>) -> Bool {
        guard range.count == lowercase.count else { return false }
        var offset = 0
        for index in range {
            var byte = bytes[index]
            if byte >= 65, byte <= 90 { byte |= 0x20 }
            if byte != lowercase[offset] { return false }
            offset += 1
        }
        return true
    }

    /// Whether `bytes[name]` is a framing field's name (`content-length`, `connection`,
    /// `transfer-encoding`) in any letter case: one a server's writer always sets itself.
    @inline(__always)
    static func isFramingName(_ bytes: UnsafeRawBufferPointer, _ name: Range<Int>) -> Bool {
        switch name.count {
        case 14: equalsIgnoringCase(bytes, name, "content-length")
        case 10: equalsIgnoringCase(bytes, name, "connection")
        case 17: equalsIgnoringCase(bytes, name, "transfer-encoding")
        default: false
        }
    }

    /// Whether `text` holds a CR or an LF, which would end a field line early (response
    /// splitting). Read over its contiguous UTF-8: the `UTF8View` walk cost ~20 instructions a byte.
    static func hasLineBreak(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in bytes.contains { $0 == cr || $0 == lf } }
    }

    /// Whether the string `name` equals `lowercase` (an all-lowercase ASCII name) ignoring
    /// ASCII case, without allocating a lowercased copy of `name`. Only A-Z are folded.
    @inline(__always)
    static func equalsLowercase(_ name: String, _ lowercase: String) -> Bool {
        name.utf8.count == lowercase.utf8.count
            && name.utf8.elementsEqual(lowercase.utf8) { $0 == $1 || ($0 >= 0x41 && $0 <= 0x5A && $0 | 0x20 == $1) }
    }

    /// The next line end at or after `from` in `bytes[..<end]`: the index of its LF, which
    /// must follow a CR (else `bareLineFeed`); nil when no LF has arrived yet.
    @inline(__always)
    static func lineFeed(_ bytes: UnsafeRawBufferPointer, from: Int, lineStart: Int) throws(HTTP1ParseError) -> Int? {
        var index = from
        let count = bytes.count
        while index < count {
            if bytes[index] == lf {
                guard index > lineStart, bytes[index - 1] == cr else { throw .bareLineFeed }
                return index
            }
            index += 1
        }
        return nil
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
