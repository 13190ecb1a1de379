import NIOCore
import NIOHTTP1

/// A hand-written HTTP/1.1 response reader over `ByteBuffer` (RFC 9112), for the gateway's
/// connections to model servers: it is told when a request went out (and whether it was
/// HEAD), is fed raw reads, and hands out each whole response with its body buffered.
///
/// A model server is treated as hostile: the framing rules are the request parser's
/// (`HTTP1Syntax`, `HTTP1BodyDecoder`: CRLF only, no obs-fold, no whitespace before a colon, no
/// control characters, one Content-Length of digits, Transfer-Encoding exactly `chunked` and
/// never with Content-Length, bounded heads and trailers), the body is capped while it is read,
/// and any byte that is not part of the answer to the one request outstanding (bytes after a
/// whole response, or with no request outstanding) makes the connection unusable, so a second
/// smuggled response can never be taken as the answer to a later request.
///
/// Framing (RFC 9112 §6.3): no body for HEAD, 1xx, 204 and 304; chunked; Content-Length; else
/// read until the server closes (`finish()`). Interim 1xx responses (100, 103) are skipped; 101
/// (never asked for) is refused.
package struct HTTP1ResponseParser {
    /// A whole response.
    package struct Response {
        package var version: HTTPVersion
        package var status: HTTPResponseStatus
        /// The head's fields as read (no `String` made of them).
        package var fields: HTTP1FieldLines
        package var body: ByteBuffer
        /// Whether the connection may carry another request: HTTP/1.1 without
        /// `connection: close` (HTTP/1.0 only with `keep-alive`), a self-delimited body, and no
        /// byte after the response.
        package var reusable: Bool

        /// The fields as `HTTPHeaders`, made on each call.
        package var headers: HTTPHeaders { fields.headers }
    }

    private enum State {
        /// No request outstanding: any byte now is unsolicited.
        case idle
        /// Reading a head, as `HTTP1RequestParser` does.
        case head(scanned: Int, lineStart: Int, lines: Int)
        case body(HTTP1BodyDecoder)
        /// No length given: the body is what arrives until the server closes.
        case untilClose
        case failed
    }

    /// A response head read, its body still to come.
    ///
    /// A class: its `Optional` is a pointer, where the struct's was copied and destroyed
    /// through the runtime's generic witnesses (NIO's `HTTPResponseStatus` carries a tuple payload).
    private final class PendingHead {
        let version: HTTPVersion
        let status: HTTPResponseStatus
        let fields: HTTP1FieldLines
        let keepAlive: Bool

        init(version: HTTPVersion, status: HTTPResponseStatus, fields: HTTP1FieldLines, keepAlive: Bool) {
            self.version = version
            self.status = status
            self.fields = fields
            self.keepAlive = keepAlive
        }
    }

    /// Shared by every empty body and by parsers between responses (so an idle pooled
    /// connection does not keep its last read's memory).
    private static let empty = ByteBuffer()

    private let maximumHeadBytes: Int
    private let maximumHeaderCount: Int
    private let maximumBody: Int
    private var buffer = ByteBuffer()
    private var state = State.idle
    private var requestIsHead = false
    private var pending: PendingHead?
    private var body: ByteBuffer?
    /// The last head's field places, whose memory the next head reuses once nothing else
    /// holds that head (as ``HTTP1RequestParser`` does).
    private var keptFields: [HTTP1FieldLines.Field] = []

    /// - Parameters:
    ///   - maximumHeadBytes: status line, headers and their line ends (also the trailers' bound).
    ///   - maximumHeaderCount: header fields (also the trailers' bound).
    ///   - maximumBody: body bytes; more is `responseBodyTooLarge`, raised before they are kept.
    package init(maximumHeadBytes: Int, maximumHeaderCount: Int, maximumBody: Int) {
        self.maximumHeadBytes = maximumHeadBytes
        self.maximumHeaderCount = maximumHeaderCount
        self.maximumBody = maximumBody
    }

    /// A request went out: the next bytes are its response. `head`: it was a HEAD request, so
    /// the response has no body whatever its headers say.
    package mutating func expectResponse(toHEAD head: Bool) {
        if case .idle = state { state = .head(scanned: 0, lineStart: 0, lines: 0) }
        requestIsHead = head
    }

    /// Adds bytes read from the server. With nothing buffered, the read itself is kept (no copy).
    package mutating func append(_ bytes: inout ByteBuffer) {
        if buffer.readableBytes == 0 {
            buffer = bytes
        } else {
            buffer.writeBuffer(&bytes)
        }
    }

    /// Whether bytes are buffered that no response has taken.
    package var hasUnreadBytes: Bool { buffer.readableBytes > 0 }

    /// The response, once whole; nil when more bytes are needed. After an error the parser
    /// stays failed (nil from then on): the connection is to be closed.
    package mutating func next() throws(HTTP1ParseError) -> Response? {
        do {
            return try advance()
        } catch {
            state = .failed
            pending = nil
            body = nil
            throw error
        }
    }

    /// The server closed the connection: the response, when its body was the rest of the
    /// connection; nil when nothing or only part of a response had arrived.
    package mutating func finish() throws(HTTP1ParseError) -> Response? {
        guard case .untilClose = state else { return nil }
        do {
            try takeRemainingBody()
        } catch {
            state = .failed
            throw error
        }
        return complete(reusable: false)
    }

    private mutating func advance() throws(HTTP1ParseError) -> Response? {
        while true {
            switch state {
            case .failed:
                return nil
            case .idle:
                if buffer.readableBytes > 0 { throw .unsolicitedResponse }
                return nil
            case .head(let scanned, let lineStart, let lines):
                guard let (parts, fields) = try readHead(scanned: scanned, lineStart: lineStart, lines: lines) else { return nil }
                if parts.code < 200 {
                    // An interim response (100 Continue, 103 Early Hints): the final one follows.
                    state = .head(scanned: 0, lineStart: 0, lines: 0)
                    continue
                }
                switch parts.framing {
                case .none:
                    return complete(version: parts.version, status: parts.status(fields), fields: fields, body: Self.empty, reusable: parts.keepAlive)
                case .decoder(let framing):
                    if case .length(let length) = framing {
                        if length > maximumBody { throw .responseBodyTooLarge(limit: maximumBody) }
                        // The usual answer: its whole body came with its head, taken at once
                        // with no head kept aside and no body decoder.
                        if buffer.readableBytes >= length {
                            return complete(
                                version: parts.version, status: parts.status(fields), fields: fields, body: buffer.readSlice(length: length)!,
                                reusable: parts.keepAlive)
                        }
                    }
                    state = .body(HTTP1BodyDecoder(framing, maximumTrailerBytes: maximumHeadBytes, maximumTrailerLines: maximumHeaderCount))
                case .untilClose:
                    state = .untilClose
                }
                // The body is still to come: the head waits for it.
                pending = PendingHead(version: parts.version, status: parts.status(fields), fields: fields, keepAlive: parts.keepAlive)
            case .body(var decoder):
                let event = try decoder.next(from: &buffer)
                state = .body(decoder)
                switch event {
                case .data(let bytes)?:
                    try keep(bytes)
                case .end?:
                    return complete(reusable: pending?.keepAlive ?? false)
                case nil:
                    return nil
                }
            case .untilClose:
                try takeRemainingBody()
                return nil
            }
        }
    }

    private mutating func takeRemainingBody() throws(HTTP1ParseError) {
        guard buffer.readableBytes > 0 else { return }
        try keep(buffer.readSlice(length: buffer.readableBytes)!)
    }

    /// Adds body bytes, refusing them before they are kept when the body would pass the cap.
    @inline(__always)
    private mutating func keep(_ bytes: ByteBuffer) throws(HTTP1ParseError) {
        let kept = body?.readableBytes ?? 0
        guard bytes.readableBytes <= maximumBody - kept else { throw .responseBodyTooLarge(limit: maximumBody) }
        if body == nil {
            body = bytes
        } else {
            var bytes = bytes
            body!.writeBuffer(&bytes)
        }
    }

    /// The response whose head was kept aside (``PendingHead``), with the body read since.
    private mutating func complete(reusable: Bool) -> Response {
        let head = pending!
        pending = nil
        let kept = body ?? Self.empty
        body = nil
        return complete(version: head.version, status: head.status, fields: head.fields, body: kept, reusable: reusable)
    }

    private mutating func complete(version: HTTPVersion, status: HTTPResponseStatus, fields: HTTP1FieldLines, body: ByteBuffer, reusable: Bool) -> Response {
        let leftOver = buffer.readableBytes > 0
        let response = Response(version: version, status: status, fields: fields, body: body, reusable: reusable && !leftOver)
        if !leftOver { buffer = Self.empty }
        state = .idle
        return response
    }

    // MARK: - the head

    private enum BodyFraming {
        case none
        case decoder(HTTP1BodyDecoder.Framing)
        case untilClose
    }

    private mutating func readHead(scanned: Int, lineStart: Int, lines: Int) throws(HTTP1ParseError) -> (parts: HeadParts, fields: HTTP1FieldLines)? {
        // Nothing new since the last scan.
        guard buffer.readableBytes > scanned else { return nil }
        let maximumBytes = maximumHeadBytes
        let maximumFields = maximumHeaderCount
        let isHead = requestIsHead
        // Moved out, so that the parser's own reference does not make the array look shared.
        var fields: [HTTP1FieldLines.Field] = []
        swap(&fields, &keptFields)
        if scanned == 0 {
            // A new head, read as it stands (``HTTP1Syntax/scanHead``): taken only whole and
            // within the limits, else scanned below.
            do {
                let parts = try buffer.withUnsafeReadableBytes { bytes throws(HTTP1ParseError) in
                    try Self.parseHead(bytes, maximumFields: maximumFields, reserving: HTTP1Syntax.usualFieldCount, requestIsHead: isHead, fields: &fields)
                }
                if parts.end <= maximumBytes { return (parts, take(parts, fields: fields)) }
            } catch {}
        }
        // Unlike before a request line, no empty line may come before a status line.
        let scan = try buffer.withUnsafeReadableBytes { bytes throws(HTTP1ParseError) in
            try HTTP1Syntax.scanHead(
                bytes, scanned: scanned, lineStart: lineStart, lines: lines,
                maximumBytes: maximumBytes, maximumLines: maximumFields + 1, leadingEmptyLine: .invalidStatusLine)
        }
        switch scan {
        case .end(let end, let lines):
            // Read within the end found: the same end, or the error that says why not.
            let parts = try buffer.withUnsafeReadableBytes { bytes throws(HTTP1ParseError) in
                try Self.parseHead(
                    UnsafeRawBufferPointer(rebasing: bytes[0..<end]), maximumFields: maximumFields, reserving: lines - 1,
                    requestIsHead: isHead, fields: &fields)
            }
            return (parts, take(parts, fields: fields))
        case .more(let scanned, let lineStart, let lines):
            keptFields = fields
            state = .head(scanned: scanned, lineStart: lineStart, lines: lines)
            return nil
        }
    }

    /// The head's field lines: its bytes sliced off the buffer (a slice of the read, not a
    /// copy) with the places of `fields`.
    @inline(__always)
    private mutating func take(_ parts: HeadParts, fields: [HTTP1FieldLines.Field]) -> HTTP1FieldLines {
        let head = HTTP1FieldLines(bytes: buffer.readSlice(length: parts.end)!, fields: fields)
        keptFields = fields
        return head
    }

    /// What ``parseHead(_:maximumFields:reserving:requestIsHead:fields:)`` read, before the head's bytes
    /// are sliced off. Plain values only: the status is its code and where its reason phrase
    /// lies, made an `HTTPResponseStatus` once the response is (a value holding one, an enum
    /// with a tuple payload, is copied and destroyed through the runtime's generic witnesses).
    private struct HeadParts {
        var version: HTTPVersion
        var code: Int
        /// The reason phrase's place in the head's bytes.
        var reason: Range<Int>
        var keepAlive: Bool
        var framing: BodyFraming
        /// Where the head ends: after its empty line's LF.
        var end: Int

        /// The status, with the head's reason phrase where NIO has no name for the code.
        func status(_ head: HTTP1FieldLines) -> HTTPResponseStatus {
            let status = HTTPResponseStatus(statusCode: code)
            guard case .custom = status else { return status }
            return HTTPResponseStatus(statusCode: code, reasonPhrase: head.bytes.withUnsafeReadableBytes { HTTP1Syntax.string($0, reason) })
        }
    }

    /// Parses the head at the start of `bytes` up to its empty line, decides how its body is
    /// framed, and returns where the head ends (after that line's LF); every read stays inside
    /// `bytes`, and a head that runs past them throws. At most `maximumFields` fields.
    private static func parseHead(
        _ bytes: UnsafeRawBufferPointer, maximumFields: Int, reserving: Int, requestIsHead: Bool, fields: inout [HTTP1FieldLines.Field]
    ) throws(HTTP1ParseError) -> HeadParts {
        let count = bytes.count
        // status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ] CRLF; a missing SP before
        // an empty reason is accepted (it does not change where anything ends).
        guard count >= 14, bytes[0] == UInt8(ascii: "H"), bytes[1] == UInt8(ascii: "T"), bytes[2] == UInt8(ascii: "T"),
            bytes[3] == UInt8(ascii: "P"), bytes[4] == UInt8(ascii: "/"), bytes[5] == UInt8(ascii: "1"),
            bytes[6] == UInt8(ascii: "."), bytes[7] &- 48 < 10, bytes[8] == HTTP1Syntax.space
        else { throw .invalidStatusLine }
        let version = HTTPVersion(major: 1, minor: Int(bytes[7] &- 48))
        let hundreds = bytes[9] &- 48
        let tens = bytes[10] &- 48
        let units = bytes[11] &- 48
        // RFC 9110 §15: codes outside 100...599 are invalid.
        guard hundreds >= 1, hundreds <= 5, tens < 10, units < 10 else { throw .invalidStatusLine }
        let code = Int(hundreds) * 100 + Int(tens) * 10 + Int(units)
        var index = 12
        var reason = index..<index
        if bytes[index] == HTTP1Syntax.space {
            index += 1
            let reasonStart = index
            while index < count, bytes[index] != HTTP1Syntax.cr {
                guard HTTP1Syntax.isFieldValue(bytes[index]) else { throw .invalidStatusLine }
                index += 1
            }
            reason = reasonStart..<index
        }
        guard index + 1 < count, bytes[index] == HTTP1Syntax.cr, bytes[index + 1] == HTTP1Syntax.lf else { throw .invalidStatusLine }
        index += 2
        if code == 101 { throw .unexpectedUpgrade }

        // Transfer-Encoding must be exactly `chunked`: Sluice decodes no other coding and the
        // gateway drops this header, so a body in another coding would reach the caller
        // corrupted (refused rather than read until the close, RFC 9112 §6.3).
        var framingFields = HTTP1FramingFields()
        var connection = HTTP1ConnectionOptions()
        let end = try HTTP1Syntax.readFieldRanges(
            bytes, from: index, maximumFields: maximumFields, reserving: reserving, into: &fields, framing: &framingFields
        ) { name, value in
            if name.count == 10, HTTP1Syntax.equalsIgnoringCase(bytes, name, "connection") { connection.note(bytes, value) }
        }
        try framingFields.check(minorVersion: version.minor)
        // RFC 9112 §6.3, in its order.
        let framing: BodyFraming
        if requestIsHead || code < 200 || code == 204 || code == 304 {
            framing = .none
        } else if framingFields.chunked {
            framing = .decoder(.chunked)
        } else if let contentLength = framingFields.contentLength {
            framing = contentLength == 0 ? .none : .decoder(.length(contentLength))
        } else {
            framing = .untilClose
        }
        return HeadParts(version: version, code: code, reason: reason, keepAlive: connection.keepsAlive(minorVersion: version.minor), framing: framing, end: end)
    }
}
