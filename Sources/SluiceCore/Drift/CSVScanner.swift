/// Splits RFC 4180 text into records of field spans, over bytes: no `Character`, no
/// string per field unless a caller asks for one, so a million rows read in about a second.
struct CSVScanner {
    /// Where one field's content is: `start..<end` of the buffer, quotes excluded.
    struct Field {
        var start: Int
        var end: Int
        /// The field was quoted and holds `""` pairs that stand for one quote each.
        var hasEscapedQuotes: Bool
    }

    let bytes: UnsafeBufferPointer<UInt8>
    let file: String
    private(set) var index = 0
    private var line = 1
    private var lineStart = 0
    /// The physical line and byte offset where the last record returned by `next` began.
    private(set) var recordLine = 1
    private(set) var recordStart = 0

    static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")

    init(bytes: UnsafeBufferPointer<UInt8>, file: String) {
        self.bytes = bytes
        self.file = file
        // A UTF-8 byte order mark is not part of the first column's name.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            index = 3
            lineStart = 3
        }
    }

    /// Reads the next non-blank record into `fields`; false at the end of the input.
    mutating func next(into fields: inout [Field]) throws(CSVError) -> Bool {
        while index < bytes.count {
            try record(into: &fields)
            let blank = fields.count == 1 && fields[0].start == fields[0].end && bytes[recordStart] != Self.quote
            if !blank { return true }
        }
        return false
    }

    /// Moves past a record that the caller read by itself (``numericRecord(into:)``): `end` is
    /// the offset just after it, and `endsLine` says whether it ended with a newline.
    mutating func skipRecord(to end: Int, endsLine: Bool) {
        recordLine = line
        recordStart = index
        index = end
        if endsLine {
            line += 1
            lineStart = end
        }
    }

    /// The field's text, with `""` read as one quote.
    func text(_ field: Field) -> String {
        let slice = UnsafeBufferPointer(rebasing: bytes[field.start..<field.end])
        guard field.hasEscapedQuotes else { return String(decoding: slice, as: UTF8.self) }
        var unescaped: [UInt8] = []
        unescaped.reserveCapacity(slice.count)
        var position = 0
        while position < slice.count {
            unescaped.append(slice[position])
            position += slice[position] == Self.quote ? 2 : 1
        }
        return String(decoding: unescaped, as: UTF8.self)
    }

    /// An error at a byte offset of the current record.
    func error(at offset: Int, _ message: String) -> CSVError {
        var line = recordLine
        var start = recordStart
        var position = recordStart
        while position < min(offset, bytes.count) {
            if bytes[position] == Self.newline {
                line += 1
                start = position + 1
            }
            position += 1
        }
        // Columns count Unicode scalars: every byte that does not continue a UTF-8 sequence.
        var column = 1
        for byte in UnsafeBufferPointer(rebasing: bytes[start..<min(offset, bytes.count)]) where byte & 0xC0 != 0x80 {
            column += 1
        }
        return CSVError(file: file, line: line, column: column, message: message)
    }

    private mutating func record(into fields: inout [Field]) throws(CSVError) {
        fields.removeAll(keepingCapacity: true)
        recordLine = line
        recordStart = index
        while true {
            if index < bytes.count, bytes[index] == Self.quote {
                fields.append(try quotedField())
            } else {
                let start = index
                index = Self.delimiter(in: bytes, from: index)
                var end = index
                if end > start, index < bytes.count, bytes[end - 1] == Self.carriageReturn { end -= 1 }
                fields.append(Field(start: start, end: end, hasEscapedQuotes: false))
            }
            if index < bytes.count, bytes[index] == Self.comma {
                index += 1
                continue
            }
            if index < bytes.count {  // a newline
                index += 1
                line += 1
                lineStart = index
            }
            return
        }
    }

    /// The offset of the first comma or newline at or after `index` (the end when none):
    /// eight bytes per step, each word tested for both bytes at once (SWAR).
    static func delimiter(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        while bytes.count - index >= 8 {
            let word = UInt64(littleEndian: UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self))
            let found = zeroBytes(word ^ 0x2C2C_2C2C_2C2C_2C2C) | zeroBytes(word ^ 0x0A0A_0A0A_0A0A_0A0A)
            // Only bytes above a true zero can be flagged falsely: the lowest flag is exact.
            if found != 0 { return index + found.trailingZeroBitCount / 8 }
            index += 8
        }
        while index < bytes.count, bytes[index] != comma, bytes[index] != newline { index += 1 }
        return index
    }

    /// The high bit of each byte of `word` that is zero (and possibly of bytes above one).
    @inline(__always)
    private static func zeroBytes(_ word: UInt64) -> UInt64 {
        (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
    }

    private mutating func quotedField() throws(CSVError) -> Field {
        let opening = index
        index += 1
        let start = index
        var escaped = false
        while true {
            guard index < bytes.count else {
                throw error(at: opening, "unterminated quoted field: the quote opened here is never closed")
            }
            let byte = bytes[index]
            if byte == Self.quote {
                if index + 1 < bytes.count, bytes[index + 1] == Self.quote {
                    escaped = true
                    index += 2
                    continue
                }
                break
            }
            if byte == Self.newline {
                line += 1
                lineStart = index + 1
            }
            index += 1
        }
        let field = Field(start: start, end: index, hasEscapedQuotes: escaped)
        index += 1
        if index < bytes.count, bytes[index] == Self.carriageReturn, index + 1 < bytes.count, bytes[index + 1] == Self.newline {
            index += 1
        }
        guard index == bytes.count || bytes[index] == Self.comma || bytes[index] == Self.newline else {
            throw error(at: index, "unexpected text after a closing quote; a quote inside a quoted field is written \"\"")
        }
        return field
    }
}
