import NIOCore

/// Reads one HTTP/1.1 message body from buffered bytes: a fixed length or chunked
/// (RFC 9112 §6-7). Chunk data is handed out as slices of the input, never copied; chunk
/// sizes, extensions and trailers are checked strictly and bounded, and trailers are dropped.
struct HTTP1BodyDecoder {
    /// The longest chunk-size line (size and extensions) accepted.
    static let maximumChunkLine = 4096

    /// How the message's end is known.
    enum Framing: Equatable {
        case length(Int)
        case chunked
    }

    enum Event {
        case data(ByteBuffer)
        case end
    }

    private enum State {
        case fixed(remaining: Int)
        /// Before a chunk-size line; `scanned` bytes of it were searched for its LF already.
        case chunkSize(scanned: Int)
        case chunkData(remaining: Int)
        /// After a chunk's data: its CRLF.
        case chunkEnd
        /// After the last chunk: trailer lines until an empty one.
        case trailers(scanned: Int, lineStart: Int, lines: Int)
        case done
    }

    private var state: State
    private let maximumTrailerBytes: Int
    private let maximumTrailerLines: Int

    init(_ framing: Framing, maximumTrailerBytes: Int, maximumTrailerLines: Int) {
        switch framing {
        case .length(let length): state = .fixed(remaining: length)
        case .chunked: state = .chunkSize(scanned: 0)
        }
        self.maximumTrailerBytes = maximumTrailerBytes
        self.maximumTrailerLines = maximumTrailerLines
    }

    /// The body bytes still to come of a Content-Length body; nil for a chunked one.
    var remainingFixedLength: Int? {
        if case .fixed(let remaining) = state { return remaining }
        return nil
    }

    /// The next part of the body from `buffer` (consumed), or nil when more bytes are needed.
    /// After `.end` the decoder is done; bytes after the body stay in `buffer`.
    mutating func next(from buffer: inout ByteBuffer) throws(HTTP1ParseError) -> Event? {
        while true {
            switch state {
            case .fixed(let remaining):
                if remaining == 0 {
                    state = .done
                    return .end
                }
                guard buffer.readableBytes > 0 else { return nil }
                let count = min(remaining, buffer.readableBytes)
                state = .fixed(remaining: remaining - count)
                return .data(buffer.readSlice(length: count)!)
            case .chunkSize(let scanned):
                guard let size = try chunkSize(in: &buffer, scanned: scanned) else { return nil }
                state = size == 0 ? .trailers(scanned: 0, lineStart: 0, lines: 0) : .chunkData(remaining: size)
            case .chunkData(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let count = min(remaining, buffer.readableBytes)
                state = count == remaining ? .chunkEnd : .chunkData(remaining: remaining - count)
                return .data(buffer.readSlice(length: count)!)
            case .chunkEnd:
                guard buffer.readableBytes >= 2 else {
                    if buffer.readableBytes == 1, buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) != HTTP1Syntax.cr {
                        throw .missingChunkTerminator
                    }
                    return nil
                }
                guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw .missingChunkTerminator }
                state = .chunkSize(scanned: 0)
            case .trailers(let scanned, let lineStart, let lines):
                guard try trailers(in: &buffer, scanned: scanned, lineStart: lineStart, lines: lines) else { return nil }
                state = .done
                return .end
            case .done:
                return nil
            }
        }
    }

    /// Parses a whole chunk-size line (`1*HEXDIG [ BWS ";" ext ] CRLF`) and consumes it, or
    /// remembers how far it searched and returns nil.
    private mutating func chunkSize(in buffer: inout ByteBuffer, scanned: Int) throws(HTTP1ParseError) -> Int? {
        let limit = Self.maximumChunkLine
        let result: (size: Int, length: Int)? = try buffer.withUnsafeReadableBytes { bytes throws(HTTP1ParseError) in
            guard let lineFeed = try HTTP1Syntax.lineFeed(bytes, from: scanned, lineStart: 0) else {
                if bytes.count > limit { throw .chunkLineTooLong(limit: limit) }
                return nil
            }
            guard lineFeed < limit else { throw .chunkLineTooLong(limit: limit) }
            let end = lineFeed - 1
            var index = 0
            var size = 0
            while index < end, let digit = Self.hexValue(bytes[index]) {
                guard index < 15 else { throw .chunkSizeOverflow }
                size = size << 4 | digit
                index += 1
            }
            guard index > 0 else { throw .invalidChunkSize }
            if index < end {
                // Only BWS then ";" may follow the size; the extension is not interpreted.
                let next = bytes[index]
                guard next == UInt8(ascii: ";") || next == HTTP1Syntax.space || next == HTTP1Syntax.tab else { throw .invalidChunkSize }
                while index < end, bytes[index] == HTTP1Syntax.space || bytes[index] == HTTP1Syntax.tab { index += 1 }
                guard index < end, bytes[index] == UInt8(ascii: ";") else { throw .invalidChunkExtension }
                while index < end {
                    guard HTTP1Syntax.isFieldValue(bytes[index]) else { throw .invalidChunkExtension }
                    index += 1
                }
            }
            return (size, lineFeed + 1)
        }
        guard let result else {
            state = .chunkSize(scanned: buffer.readableBytes)
            return nil
        }
        buffer.moveReaderIndex(forwardBy: result.length)
        return result.size
    }

    /// Consumes trailer lines through the empty line that ends them (true), or remembers
    /// where it stopped (false). Each line must be a valid field line; all are dropped.
    private mutating func trailers(in buffer: inout ByteBuffer, scanned: Int, lineStart: Int, lines: Int) throws(HTTP1ParseError) -> Bool {
        let maximumBytes = maximumTrailerBytes
        let maximumLines = maximumTrailerLines
        let outcome: (end: Int?, scanned: Int, lineStart: Int, lines: Int) = try buffer.withUnsafeReadableBytes { bytes throws(HTTP1ParseError) in
            var from = scanned
            var lineStart = lineStart
            var lines = lines
            while let lineFeed = try HTTP1Syntax.lineFeed(bytes, from: from, lineStart: lineStart) {
                guard lineFeed < maximumBytes else { throw .trailersTooLarge(limit: maximumBytes) }
                if lineFeed - 1 == lineStart { return (lineFeed + 1, 0, 0, 0) }
                lines += 1
                guard lines <= maximumLines else { throw .trailersTooLarge(limit: maximumBytes) }
                _ = try HTTP1Syntax.fieldLine(bytes, at: lineStart)
                lineStart = lineFeed + 1
                from = lineStart
            }
            if bytes.count > maximumBytes { throw .trailersTooLarge(limit: maximumBytes) }
            return (nil, bytes.count, lineStart, lines)
        }
        if let end = outcome.end {
            buffer.moveReaderIndex(forwardBy: end)
            return true
        }
        state = .trailers(scanned: outcome.scanned, lineStart: outcome.lineStart, lines: outcome.lines)
        return false
    }

    @inline(__always)
    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 48...57: Int(byte - 48)
        case 65...70: Int(byte - 55)
        case 97...102: Int(byte - 87)
        default: nil
        }
    }
}
