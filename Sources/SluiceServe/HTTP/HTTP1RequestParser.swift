import NIOCore
import NIOHTTP1
import SluiceCore

/// A hand-written HTTP/1.1 request parser over `ByteBuffer` (RFC 9112), driven by the
/// connection's request handler from raw reads: it hands out one event at a time, so the
/// caller can screen a head before a single body byte is taken, and stop at any point.
///
/// Strict where lenient parsing enables request smuggling: CRLF line ends only, no
/// obs-fold, no whitespace before a colon, no control characters in names or values, one
/// Content-Length of digits only, Transfer-Encoding exactly `chunked` and never with
/// Content-Length, one Host (required in HTTP/1.1), bounded heads, chunk lines and trailers.
/// Accepted: empty lines before a request line, names in any case, whitespace around values,
/// the absolute form (`http://host/path`, reduced to its path and query), `*` for OPTIONS.
package struct HTTP1RequestParser {
    /// A parsed request head and what the handler needs from it without another lookup.
    package struct Head {
        package var head: RequestHead
        /// The declared Content-Length (nil when chunked or absent).
        package var contentLength: Int?
        /// `Expect: 100-continue`.
        package var expectsContinue: Bool
    }

    package enum Event {
        case head(Head)
        /// Some body bytes (a slice of the input, not a copy).
        case body(ByteBuffer)
        /// The request is complete.
        case end
    }

    private enum State {
        /// Reading a head: `scanned` bytes from the buffer's reader index were searched for
        /// line ends, `lineStart` is where the current line begins, `lines` complete non-empty lines.
        case head(scanned: Int, lineStart: Int, lines: Int)
        case body(HTTP1BodyDecoder)
        case failed
    }

    private let maximumHeadBytes: Int
    private let maximumHeaderCount: Int
    private var buffer = ByteBuffer()
    private var state = State.head(scanned: 0, lineStart: 0, lines: 0)
    /// The last head's field places, whose memory the next head reuses once nothing else
    /// holds that head (an allocation and a free per request otherwise: Benchmarks/README.md,
    /// "Hot path, slice 49").
    private var keptFields: [HTTP1FieldLines.Field] = []
    /// The last origin-form target, handed out again while the next is the same bytes
    /// (``sameTarget(_:_:last:)``).
    private var lastTarget = ""
    /// The path segments of the last head's target, handed out again with the same target: a
    /// kept-alive client asks for one path request after request, and splitting it cost ~450
    /// instructions a request (Benchmarks/README.md, "Hot path, slice 60").
    private var lastSegments = PathSegments(target: "")

    /// - Parameters:
    ///   - maximumHeadBytes: request line, headers and their line ends (also the trailers' bound).
    ///   - maximumHeaderCount: header fields (also the trailers' bound).
    package init(maximumHeadBytes: Int, maximumHeaderCount: Int) {
        self.maximumHeadBytes = maximumHeadBytes
        self.maximumHeaderCount = maximumHeaderCount
    }

    /// Adds bytes read from the peer. With nothing buffered, the read itself is kept (no copy).
    package mutating func append(_ bytes: inout ByteBuffer) {
        if buffer.readableBytes == 0 {
            buffer = bytes
        } else {
            buffer.writeBuffer(&bytes)
        }
    }

    /// Whether the parser is at the start of a request (possibly with some of its head buffered).
    package var isAtRequestStart: Bool {
        if case .head = state { return true }
        return false
    }

    /// Whether some bytes of a head (not yet complete) are buffered.
    package var hasPartialHead: Bool {
        if case .head = state { return buffer.readableBytes > 0 }
        return false
    }

    /// The next event, or nil when more bytes are needed. After an error the parser stays
    /// failed (nil from then on): the connection is to be answered and closed.
    package mutating func next() throws(HTTP1ParseError) -> Event? {
        switch state {
        case .failed:
            return nil
        case .head(let scanned, let lineStart, let lines):
            do {
                return try readHead(scanned: scanned, lineStart: lineStart, lines: lines).map(Event.head)
            } catch {
                state = .failed
                throw error
            }
        case .body(var decoder):
            do {
                let event = try decoder.next(from: &buffer)
                switch event {
                case .data(let bytes)?:
                    state = .body(decoder)
                    return .body(bytes)
                case .end?:
                    state = .head(scanned: 0, lineStart: 0, lines: 0)
                    // A request read to its end lets go of the read's storage, so that the
                    // socket's next read lands in it again instead of in fresh storage (an
                    // allocation and a free per request: Benchmarks/README.md, slice 55).
                    if buffer.readableBytes == 0 { buffer = ByteBuffer() }
                    return .end
                case nil:
                    state = .body(decoder)
                    return nil
                }
            } catch {
                state = .failed
                throw error
            }
        }
    }

    /// Right after a head: the request's whole body when it is framed by a Content-Length (or
    /// has no body) and every byte of it is buffered, taken with the request's end, as `next()`
    /// would hand it out as `.body` and `.end`; nil otherwise (the events follow as before).
    /// An empty body comes back as an empty buffer holding no memory of the read.
    package mutating func takeWholeBody() -> ByteBuffer? {
        guard case .body(let decoder) = state, let length = decoder.remainingFixedLength, buffer.readableBytes >= length else { return nil }
        let body = length == 0 ? ByteBuffer() : buffer.readSlice(length: length)!
        state = .head(scanned: 0, lineStart: 0, lines: 0)
        // As at `.end`: the read's storage is let go of, for the next read to land in.
        if buffer.readableBytes == 0 { buffer = ByteBuffer() }
        return body
    }

    // MARK: - the head

    private mutating func readHead(scanned: Int, lineStart: Int, lines: Int) throws(HTTP1ParseError) -> Head? {
        // Nothing new since the last scan (the call after a request's end, with none buffered).
        guard buffer.readableBytes > scanned else { return nil }
        let maximumBytes = maximumHeadBytes
        let maximumFields = maximumHeaderCount
        // Moved out, so that the parser's own reference does not make the array look shared.
        var fields: [HTTP1FieldLines.Field] = []
        swap(&fields, &keptFields)
        if scanned == 0 {
            // A new head, read as it stands (``HTTP1Syntax/scanHead``): taken only whole and
            // within the limits, else scanned below.
            do {
                let parts = try buffer.withUnsafeReadableBytes { bytes throws(HTTP1ParseError) in
                    try Self.parseHead(bytes, maximumFields: maximumFields, reserving: HTTP1Syntax.usualFieldCount, fields: &fields, lastTarget: &lastTarget)
                }
                if parts.end <= maximumBytes { return take(parts, fields: fields) }
            } catch {}
        }
        // RFC 9112 §2.2: empty lines before a request line are ignored.
        let scan = try buffer.withUnsafeReadableBytes { bytes throws(HTTP1ParseError) in
            try HTTP1Syntax.scanHead(
                bytes, scanned: scanned, lineStart: lineStart, lines: lines,
                maximumBytes: maximumBytes, maximumLines: maximumFields + 1, leadingEmptyLine: nil)
        }
        switch scan {
        case .end(let end, let lines):
            // Read within the end found: the same end, or the error that says why not.
            let parts = try buffer.withUnsafeReadableBytes { bytes throws(HTTP1ParseError) in
                try Self.parseHead(
                    UnsafeRawBufferPointer(rebasing: bytes[0..<end]), maximumFields: maximumFields, reserving: lines - 1,
                    fields: &fields, lastTarget: &lastTarget)
            }
            return take(parts, fields: fields)
        case .more(let scanned, let lineStart, let lines):
            keptFields = fields
            state = .head(scanned: scanned, lineStart: lineStart, lines: lines)
            return nil
        }
    }

    /// The head read as `parts` with `fields`, its bytes sliced off the buffer; the body next.
    @inline(__always)
    private mutating func take(_ parts: HeadParts, fields: [HTTP1FieldLines.Field]) -> Head {
        // The same `String` as the last head's (``sameTarget(_:_:last:)``) compares equal at once.
        if lastSegments.target != parts.uri { lastSegments = PathSegments(target: parts.uri) }
        // The fields' ranges count from the head's first byte: the head's slice keeps them
        // (a slice of the read, as the body's are: no copy).
        let head = RequestHead(
            method: parts.method, uri: parts.uri, version: parts.version,
            fields: HTTP1FieldLines(bytes: buffer.readSlice(length: parts.end)!, fields: fields), isKeepAlive: parts.isKeepAlive,
            segments: lastSegments)
        keptFields = fields
        let framing: HTTP1BodyDecoder.Framing = parts.chunked ? .chunked : .length(parts.contentLength ?? 0)
        state = .body(HTTP1BodyDecoder(framing, maximumTrailerBytes: maximumHeadBytes, maximumTrailerLines: maximumHeaderCount))
        return Head(head: head, contentLength: parts.contentLength, expectsContinue: parts.expectsContinue)
    }

    /// What ``parseHead(_:maximumFields:reserving:fields:lastTarget:)`` read, before the head's bytes are sliced off.
    private struct HeadParts {
        var method: HTTPMethod
        var uri: String
        var version: HTTPVersion
        var isKeepAlive: Bool
        var contentLength: Int?
        var expectsContinue: Bool
        var chunked: Bool
        /// Where the head ends: after its empty line's LF.
        var end: Int
    }

    /// Parses the head at the start of `bytes` up to its empty line, and returns where it ends
    /// (after that line's LF); every read stays inside `bytes`, and a head that runs past them
    /// throws. At most `maximumFields` fields; `fields` gets their places.
    private static func parseHead(
        _ bytes: UnsafeRawBufferPointer, maximumFields: Int, reserving: Int, fields: inout [HTTP1FieldLines.Field],
        lastTarget: inout String
    ) throws(HTTP1ParseError) -> HeadParts {
        let count = bytes.count
        // Empty lines (exactly CRLF) before the request line were allowed by the scan; skip
        // them. Only whole CRLF pairs: a line "\rG" is a (bad) request line, not one to skip.
        var start = 0
        while start + 1 < count, bytes[start] == HTTP1Syntax.cr, bytes[start + 1] == HTTP1Syntax.lf { start += 2 }
        // request-line = method SP request-target SP HTTP-version CRLF
        var index = start
        while index < count, isTokenByte(bytes, index) { index += 1 }
        guard index > start, index < count, bytes[index] == HTTP1Syntax.space else { throw .invalidMethod }
        let method = knownMethod(bytes, start..<index) ?? HTTPMethod(rawValue: HTTP1Syntax.string(bytes, start..<index))
        index += 1
        let targetStart = index
        index = HTTP1Syntax.visibleRunEnd(bytes, from: index)
        guard index > targetStart, index < count, bytes[index] == HTTP1Syntax.space else { throw .invalidTarget }
        let target = targetStart..<index
        index += 1
        guard index + 10 <= count, bytes[index + 8] == HTTP1Syntax.cr, bytes[index + 9] == HTTP1Syntax.lf,
            bytes[index] == UInt8(ascii: "H"), bytes[index + 1] == UInt8(ascii: "T"), bytes[index + 2] == UInt8(ascii: "T"),
            bytes[index + 3] == UInt8(ascii: "P"), bytes[index + 4] == UInt8(ascii: "/"), bytes[index + 6] == UInt8(ascii: "."),
            bytes[index + 5] &- 48 < 10, bytes[index + 7] &- 48 < 10
        else { throw .invalidVersion }
        guard bytes[index + 5] == UInt8(ascii: "1") else { throw .unsupportedVersion }
        let version = HTTPVersion(major: 1, minor: Int(bytes[index + 7] &- 48))
        index += 10
        let uri = try requestURI(bytes, target, method: method, last: &lastTarget)

        var framing = HTTP1FramingFields()
        var hosts = 0
        var expectsContinue = false
        var connection = HTTP1ConnectionOptions()
        let end = try HTTP1Syntax.readFieldRanges(
            bytes, from: index, maximumFields: maximumFields, reserving: reserving, into: &fields, framing: &framing
        ) { name, value throws(HTTP1ParseError) in
            switch name.count {
            case 4 where HTTP1Syntax.equalsIgnoringCase(bytes, name, "host"):
                hosts += 1
                guard hosts == 1 else { throw .duplicateHost }
            case 6 where HTTP1Syntax.equalsIgnoringCase(bytes, name, "expect"):
                expectsContinue = HTTP1Syntax.equalsIgnoringCase(bytes, value, "100-continue")
            case 10 where HTTP1Syntax.equalsIgnoringCase(bytes, name, "connection"):
                connection.note(bytes, value)
            default:
                break
            }
        }
        try framing.check(minorVersion: version.minor)
        if version.minor > 0, hosts == 0 { throw .missingHost }
        return HeadParts(
            method: method, uri: uri, version: version, isKeepAlive: connection.keepsAlive(minorVersion: version.minor),
            contentLength: framing.contentLength, expectsContinue: expectsContinue, chunked: framing.chunked, end: end)
    }

    /// The request target as the responders see it: origin-form as is, absolute-form reduced
    /// to its path and query (RFC 9112 §3.2.2: a server must accept it), `*` for OPTIONS only.
    private static func requestURI(
        _ bytes: UnsafeRawBufferPointer, _ target: Range<Int>, method: HTTPMethod, last: inout String
    ) throws(HTTP1ParseError) -> String {
        let first = bytes[target.lowerBound]
        if first == UInt8(ascii: "/") {
            if sameTarget(bytes, target, last: last) { return last }
            last = HTTP1Syntax.string(bytes, target)
            return last
        }
        if first == UInt8(ascii: "*"), target.count == 1, method == .OPTIONS { return "*" }
        let schemeEnd: Int
        if target.count > 7, HTTP1Syntax.equalsIgnoringCase(bytes, target.lowerBound..<(target.lowerBound + 7), "http://") {
            schemeEnd = target.lowerBound + 7
        } else if target.count > 8, HTTP1Syntax.equalsIgnoringCase(bytes, target.lowerBound..<(target.lowerBound + 8), "https://") {
            schemeEnd = target.lowerBound + 8
        } else {
            throw .invalidTarget
        }
        var pathStart = schemeEnd
        while pathStart < target.upperBound, bytes[pathStart] != UInt8(ascii: "/"), bytes[pathStart] != UInt8(ascii: "?") {
            pathStart += 1
        }
        guard pathStart > schemeEnd else { throw .invalidTarget }
        if pathStart == target.upperBound { return "/" }
        let rest = HTTP1Syntax.string(bytes, pathStart..<target.upperBound)
        return bytes[pathStart] == UInt8(ascii: "?") ? "/" + rest : rest
    }

    /// The methods inference and admin clients send, without making a string first.
    @inline(__always)
    private static func knownMethod(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> HTTPMethod? {
        let first = bytes[range.lowerBound]
        switch range.count {
        case 3 where first == UInt8(ascii: "G") && bytes[range.lowerBound + 1] == UInt8(ascii: "E") && bytes[range.lowerBound + 2] == UInt8(ascii: "T"):
            return .GET
        case 3 where first == UInt8(ascii: "P") && bytes[range.lowerBound + 1] == UInt8(ascii: "U") && bytes[range.lowerBound + 2] == UInt8(ascii: "T"):
            return .PUT
        case 4 where bytes[range.lowerBound + 1] == UInt8(ascii: "O") && bytes[range.lowerBound + 2] == UInt8(ascii: "S")
            && bytes[range.lowerBound + 3] == UInt8(ascii: "T") && first == UInt8(ascii: "P"):
            return .POST
        case 4 where bytes[range.lowerBound + 1] == UInt8(ascii: "E") && bytes[range.lowerBound + 2] == UInt8(ascii: "A")
            && bytes[range.lowerBound + 3] == UInt8(ascii: "D") && first == UInt8(ascii: "H"):
            return .HEAD
        default:
            return nil
        }
    }

    @inline(__always)
    private static func isTokenByte(_ bytes: UnsafeRawBufferPointer, _ index: Int) -> Bool {
        HTTP1Syntax.isToken(bytes[index])
    }

    /// Whether `bytes[target]` spells `last`. A kept-alive client asks for the same path
    /// request after request, and a target of more than 15 bytes (`/v2/models/fraud/infer`)
    /// is a heap allocation and a free each time a `String` is made of it; one comparison
    /// instead saved ~150 instructions a request (Benchmarks/README.md, "Hot path, slice 55";
    /// a generic `elementsEqual` cost more than the allocation). Target bytes
    /// are visible ASCII (the request line's check), so equal bytes are an equal string.
    @inline(__always)
    private static func sameTarget(_ bytes: UnsafeRawBufferPointer, _ target: Range<Int>, last: String) -> Bool {
        guard last.utf8.count == target.count else { return false }
        var last = last
        return last.withUTF8 { ShortBytes.same($0, UnsafeRawBufferPointer(rebasing: bytes[target]).assumingMemoryBound(to: UInt8.self)) }
    }
}
