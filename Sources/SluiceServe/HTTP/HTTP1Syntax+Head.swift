import NIOHTTP1

/// What both parsers read the same way in a head: where it ends, and its framing fields.
extension HTTP1Syntax {
    /// How far a scan for the end of a head got.
    enum HeadScan {
        /// The head ends just before `end` (after its empty line's LF); `lines` non-empty
        /// lines, the first (request or status) line included.
        case end(Int, lines: Int)
        /// Not yet: `scanned` bytes were searched, the current line starts at `lineStart`,
        /// `lines` non-empty lines are complete.
        case more(scanned: Int, lineStart: Int, lines: Int)
    }

    /// The places a head read before its field lines are counted reserves: a connection's
    /// first head then allocates them once (its array is kept for the next heads), not once
    /// per doubling.
    static let usualFieldCount = 16

    /// Searches `bytes` for the empty line ending a head, from where the last scan stopped
    /// (a head dribbled byte by byte is scanned once, not once per byte). Empty lines before
    /// the first line are skipped, or refused with `leadingEmptyLine` when it is given.
    ///
    /// The parsers first read a new head as it stands, finding its end on the way, and scan
    /// only when that fails: the usual head arrives whole in one read, and a separate scan
    /// for its end read every byte once more (~500 instructions a head; Benchmarks/README.md,
    /// "Hot path, slice 60"). A head read whole that way within the limits is one the scan
    /// finds the same end of (every line of it ends in CRLF, none is empty before the
    /// last), so the reading decides only heads it accepts; any other (not yet whole, over a
    /// limit, malformed) is scanned and then read within the end found, which says why.
    static func scanHead(
        _ bytes: UnsafeRawBufferPointer, scanned: Int, lineStart: Int, lines: Int,
        maximumBytes: Int, maximumLines: Int, leadingEmptyLine: HTTP1ParseError?
    ) throws(HTTP1ParseError) -> HeadScan {
        var from = scanned
        var lineStart = lineStart
        var lines = lines
        // Nothing past the limit is read: a head over it is too large whatever follows, and
        // however the bytes arrived (a bare LF past the limit was found in one read, and
        // not when the limit was reached first).
        let within = UnsafeRawBufferPointer(rebasing: bytes[..<min(bytes.count, maximumBytes)])
        while let lineFeed = try lineFeed(within, from: from, lineStart: lineStart) {
            if lineFeed - 1 == lineStart {
                if lines > 0 { return .end(lineFeed + 1, lines: lines) }
                if let leadingEmptyLine { throw leadingEmptyLine }
            } else {
                lines += 1
                guard lines <= maximumLines else { throw .tooManyHeaders(limit: maximumLines - 1) }
            }
            lineStart = lineFeed + 1
            from = lineStart
        }
        if bytes.count >= maximumBytes { throw .headTooLarge(limit: maximumBytes) }
        return .more(scanned: bytes.count, lineStart: lineStart, lines: lines)
    }
}

extension HTTP1Syntax {
    /// Reads the field lines of a head from `start` up to its empty line, strictly
    /// (`fieldLine`), and returns where the head ends (after the empty line's LF): each field
    /// is shown to `each`, framing fields are noted in `framing`, and `other` is shown the name
    /// and value of every other field. At most `maximumFields` fields (else `tooManyHeaders`).
    /// Every read stays inside `bytes`: a head that runs past them throws as its unended line
    /// does (`bareLineFeed` when no CRLF is left for the empty line), which a caller reading
    /// a head before knowing that it is whole takes as "not yet known" (``HeadScan``).
    @inline(__always)
    static func forEachField(
        _ bytes: UnsafeRawBufferPointer, from start: Int, maximumFields: Int, framing: inout HTTP1FramingFields,
        other: (_ name: Range<Int>, _ value: Range<Int>) throws(HTTP1ParseError) -> Void,
        each: (_ name: Range<Int>, _ value: Range<Int>) -> Void
    ) throws(HTTP1ParseError) -> Int {
        var index = start
        var count = 0
        while true {
            guard index + 1 < bytes.count else { throw .bareLineFeed }
            // A line starting with CR is the empty line or a bad name (a CR is no token byte).
            if bytes[index] == cr {
                guard bytes[index + 1] == lf else { throw .invalidHeaderName }
                return index + 2
            }
            count += 1
            guard count <= maximumFields else { throw .tooManyHeaders(limit: maximumFields) }
            let field = try fieldLine(bytes, at: index)
            if try !framing.note(bytes, name: field.name, value: field.value) {
                try other(field.name, field.value)
            }
            each(field.name, field.value)
            index = field.next
        }
    }

    /// ``forEachField(_:from:maximumFields:framing:other:each:)`` into the fields' places in
    /// `bytes` (``HTTP1FieldLines``): no `String` per name and value. `fields` is the parser's
    /// array from the last head, at least `reserving` places: its memory again when nothing
    /// holds that head (else the first write copies it). Its places are written over and the
    /// ones left over dropped at the end: a connection's heads have much the same fields, and
    /// emptying the array first cost ~85 instructions a head (Benchmarks/README.md, "Hot
    /// path, slice 60"). What a head that throws wrote is the next head's to write over.
    @inline(__always)
    static func readFieldRanges(
        _ bytes: UnsafeRawBufferPointer, from start: Int, maximumFields: Int, reserving: Int, into fields: inout [HTTP1FieldLines.Field],
        framing: inout HTTP1FramingFields, other: (_ name: Range<Int>, _ value: Range<Int>) throws(HTTP1ParseError) -> Void
    ) throws(HTTP1ParseError) -> Int {
        fields.reserveCapacity(reserving)
        var count = 0
        let end = try forEachField(bytes, from: start, maximumFields: maximumFields, framing: &framing, other: other) { name, value in
            let field = HTTP1FieldLines.Field(
                nameStart: UInt32(name.lowerBound), nameEnd: UInt32(name.upperBound),
                valueStart: UInt32(value.lowerBound), valueEnd: UInt32(value.upperBound))
            if count < fields.count { fields[count] = field } else { fields.append(field) }
            count += 1
        }
        if count < fields.count { fields.removeLast(fields.count - count) }
        return end
    }

    /// `bytes[range]` as a `String` (invalid UTF-8 replaced): field values, a request's
    /// method and target.
    @inline(__always)
    static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}

/// The framing fields of one head (Content-Length, Transfer-Encoding), noted as its field lines
/// go by and checked as RFC 9112 §6 requires of requests and responses alike, strictly: one
/// Content-Length of digits only, one Transfer-Encoding of exactly `chunked` (no other coding
/// is decoded here), never both, and none in HTTP/1.0.
struct HTTP1FramingFields {
    private(set) var contentLength: Int?
    private(set) var chunked = false

    /// Notes `bytes[name]: bytes[value]` if it is a framing field; false when it is not one.
    @inline(__always)
    mutating func note(_ bytes: UnsafeRawBufferPointer, name: Range<Int>, value: Range<Int>) throws(HTTP1ParseError) -> Bool {
        switch name.count {
        case 14 where HTTP1Syntax.equalsIgnoringCase(bytes, name, "content-length"):
            guard contentLength == nil else { throw .duplicateContentLength }
            guard let length = HTTP1Syntax.decimalLength(bytes, value) else { throw .invalidContentLength }
            contentLength = length
            return true
        case 17 where HTTP1Syntax.equalsIgnoringCase(bytes, name, "transfer-encoding"):
            guard !chunked, HTTP1Syntax.equalsIgnoringCase(bytes, value, "chunked") else { throw .unsupportedTransferEncoding }
            chunked = true
            return true
        default:
            return false
        }
    }

    /// The checks that need the whole head: not both fields, and no Transfer-Encoding in
    /// HTTP/1.0 (§6.1: faulty framing).
    func check(minorVersion: Int) throws(HTTP1ParseError) {
        guard chunked else { return }
        guard contentLength == nil else { throw .contentLengthWithTransferEncoding }
        guard minorVersion > 0 else { throw .transferEncodingInHTTP10 }
    }
}
