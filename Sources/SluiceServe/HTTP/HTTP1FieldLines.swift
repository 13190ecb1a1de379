import NIOCore
import NIOHTTP1
import SluiceCore

/// The field lines of a head as they arrived: the head's bytes and where each field's name and
/// value lie in them. Every field was checked by ``HTTP1Syntax/fieldLine(_:at:)`` (a token
/// name; a value with no CR, LF or other control character, its surrounding whitespace left
/// out), so the bytes can be copied into another head as they are (``ForwardedFields``) without
/// making a `String` of each name and value. ``headers`` makes the `HTTPHeaders` view for the
/// few readers that want one (the admin client, tests).
package struct HTTP1FieldLines: Sendable {
    /// Where one field's name and value lie in ``bytes``, from its reader index.
    struct Field {
        var nameStart: UInt32
        var nameEnd: UInt32
        var valueStart: UInt32
        var valueEnd: UInt32

        var name: Range<Int> { Int(nameStart)..<Int(nameEnd) }
        var value: Range<Int> { Int(valueStart)..<Int(valueEnd) }
    }

    /// The head the fields were read from (a slice of the read: no copy).
    let bytes: ByteBuffer
    /// The fields in their order, repeats kept.
    let fields: [Field]

    static let empty = HTTP1FieldLines(bytes: ByteBuffer(), fields: [])

    /// The number of fields.
    package var count: Int { fields.count }

    /// Field lines written from `headers` (a head made in process: tests, internal callers),
    /// `name: value` CRLF each. A field whose name is not a token or whose value holds a
    /// control character (a CR or LF would end the line early) is left out: the lines hold
    /// only what the parser would have accepted.
    package init(_ headers: HTTPHeaders) {
        var bytes = ByteBuffer()
        var fields: [Field] = []
        fields.reserveCapacity(headers.count)
        for (name, value) in headers {
            guard !name.isEmpty, name.utf8.allSatisfy(HTTP1Syntax.isToken) else { continue }
            let trimmed = value.utf8.drop { $0 == HTTP1Syntax.space || $0 == HTTP1Syntax.tab }
            let valueBytes = trimmed.reversed().drop { $0 == HTTP1Syntax.space || $0 == HTTP1Syntax.tab }.reversed()
            guard valueBytes.allSatisfy(HTTP1Syntax.isFieldValue) else { continue }
            let nameStart = bytes.writerIndex
            bytes.writeString(name)
            let nameEnd = bytes.writerIndex
            bytes.writeStaticString(": ")
            let valueStart = bytes.writerIndex
            bytes.writeBytes(valueBytes)
            let valueEnd = bytes.writerIndex
            bytes.writeStaticString("\r\n")
            fields.append(Field(nameStart: UInt32(nameStart), nameEnd: UInt32(nameEnd), valueStart: UInt32(valueStart), valueEnd: UInt32(valueEnd)))
        }
        self.init(bytes: bytes, fields: fields)
    }

    init(bytes: ByteBuffer, fields: [Field]) {
        self.bytes = bytes
        self.fields = fields
    }

    /// The value of the first field named `name` (in any letter case), made into a `String`
    /// only when there is one.
    package func first(_ name: String) -> String? {
        name.withContiguousUTF8 { name in
            bytes.withUnsafeReadableBytes { bytes in
                for field in fields where field.name.count == name.count {
                    if HTTP1Syntax.equalsIgnoringCase(bytes, field.name, name, otherIsLowercase: false) {
                        return HTTP1Syntax.string(bytes, field.value)
                    }
                }
                return nil
            }
        }
    }

    /// ``first(_:)`` of three names, found in one pass over the fields: the gateway reads
    /// three from every request (each pass borrowed the head's bytes, an exclusivity check).
    package func first(_ a: String, _ b: String, _ c: String) -> (String?, String?, String?) {
        a.withContiguousUTF8 { a in
            b.withContiguousUTF8 { b in
                c.withContiguousUTF8 { c in
                    bytes.withUnsafeReadableBytes { bytes in
                        var found: (String?, String?, String?)
                        // A field whose name has none of the wanted lengths is passed over at once
                        // (most of a request's: ~120 instructions a request).
                        let lengths = Self.lengthBit(a.count) | Self.lengthBit(b.count) | Self.lengthBit(c.count)
                        for field in fields where lengths & Self.lengthBit(field.name.count) != 0 {
                            /// Fills `slot` with this field's value if it is the first named `wanted`.
                            func take(_ slot: inout String?, _ wanted: UnsafeBufferPointer<UInt8>) {
                                guard slot == nil, field.name.count == wanted.count,
                                    HTTP1Syntax.equalsIgnoringCase(bytes, field.name, wanted, otherIsLowercase: false)
                                else { return }
                                slot = HTTP1Syntax.string(bytes, field.value)
                            }
                            take(&found.0, a)
                            take(&found.1, b)
                            take(&found.2, c)
                        }
                        return found
                    }
                }
            }
        }
    }

    /// Bit `count` of a word (bit 63 for 63 and over): a set of name lengths.
    @inline(__always)
    private static func lengthBit(_ count: Int) -> UInt64 {
        1 << UInt64(min(count, 63))
    }

    /// The fields as `HTTPHeaders` (a `String` per name and value, invalid UTF-8 replaced),
    /// made on each call.
    package var headers: HTTPHeaders {
        let fields = fields
        let pairs = bytes.withUnsafeReadableBytes { bytes in
            fields.map { (HTTP1Syntax.string(bytes, $0.name), HTTP1Syntax.string(bytes, $0.value)) }
        }
        return HTTPHeaders(pairs)
    }
}

/// Field lines read from a model server, to be written into the caller's answer without those
/// named in `dropped` (the hop-by-hop names and the ones the gateway sets itself) and never the
/// framing fields (`content-length`, `transfer-encoding`, `connection`), which the server's
/// writer sets. The kept fields keep their order and repeats, each written `name: value` CRLF
/// from the read bytes.
package struct ForwardedFields: Sendable {
    let lines: HTTP1FieldLines
    let dropped: FieldNameSet

    package init(_ lines: HTTP1FieldLines, dropping dropped: FieldNameSet) {
        self.lines = lines
        self.dropped = dropped
    }

    /// The most bytes ``write(to:)`` writes: each line grows by at most one byte (`name:value`
    /// becomes `name: value`).
    package var maximumBytes: Int { lines.bytes.readableBytes + lines.fields.count }

    /// Whether the field named by `bytes[name]` is left out.
    @inline(__always)
    private func drops(_ bytes: UnsafeRawBufferPointer, _ name: Range<Int>) -> Bool {
        HTTP1Syntax.isFramingName(bytes, name) || dropped.contains(bytes, name)
    }

    /// Writes the kept fields. A line already in the form `name: value` CRLF (the usual one) is
    /// copied with the kept lines next to it in one write; another is written in parts.
    package func write(to head: inout HeadBytesWriter) {
        lines.bytes.withUnsafeReadableBytes { bytes in
            // Kept lines in their final form, next to each other in `bytes`, not yet written.
            var run = 0..<0
            for field in lines.fields {
                let name = field.name
                let value = field.value
                if drops(bytes, name) { continue }
                let lineEnd = value.upperBound + 2
                // `name: value` CRLF as it stands: one space after the colon, no whitespace
                // after the value (the value's end is the line's CR: values hold no CR).
                if value.lowerBound == name.upperBound + 2, bytes[name.upperBound + 1] == HTTP1Syntax.space,
                    bytes[value.upperBound] == HTTP1Syntax.cr
                {
                    if run.upperBound == name.lowerBound, !run.isEmpty {
                        run = run.lowerBound..<lineEnd
                    } else {
                        if !run.isEmpty { head.append(UnsafeRawBufferPointer(rebasing: bytes[run])) }
                        run = name.lowerBound..<lineEnd
                    }
                    continue
                }
                if !run.isEmpty {
                    head.append(UnsafeRawBufferPointer(rebasing: bytes[run]))
                    run = 0..<0
                }
                head.append(UnsafeRawBufferPointer(rebasing: bytes[name]))
                head.append(": ")
                head.append(UnsafeRawBufferPointer(rebasing: bytes[value]))
                head.append("\r\n")
            }
            if !run.isEmpty { head.append(UnsafeRawBufferPointer(rebasing: bytes[run])) }
        }
    }

    /// The kept fields as `HTTPHeaders`, made on each call (for tests and rare readers).
    package var headers: HTTPHeaders {
        let lines = lines
        let pairs = lines.bytes.withUnsafeReadableBytes { bytes in
            lines.fields.filter { !drops(bytes, $0.name) }.map { (HTTP1Syntax.string(bytes, $0.name), HTTP1Syntax.string(bytes, $0.value)) }
        }
        return HTTPHeaders(pairs)
    }
}

/// Lower-case field names compared with names in bytes ignoring ASCII case, after a test of
/// the name's length against a mask (most names are passed over without a comparison).
/// A class: the field lines forwarded each request (its own and its answer's) hold one, and
/// as a struct its two arrays were two references to retain and release each time
/// (Benchmarks/README.md, "Hot path, slice 60").
package final class FieldNameSet: Sendable {
    /// Bit n set: some name is n bytes long.
    private let lengths: UInt64
    /// The names, shortest first.
    private let names: [[UInt8]]
    /// The names n bytes long are `names[starts[n]..<starts[n + 1]]`: only those are compared
    /// (walking every name for its length cost ~350 instructions a proxied request).
    private let starts: [Int]

    /// `names`: lower case (``HTTP1Syntax/isFoldable(_:)``), each shorter than 64 bytes.
    package init(_ names: [String]) {
        precondition(
            names.allSatisfy { name in name.utf8.count < 64 && Array(name.utf8).withUnsafeBufferPointer(HTTP1Syntax.isFoldable) },
            "lower-case names of under 64 bytes")
        let sorted = names.map { Array($0.utf8) }.sorted { $0.count < $1.count }
        self.names = sorted
        starts = (0...64).map { length in sorted.firstIndex { $0.count >= length } ?? sorted.count }
        lengths = names.reduce(0) { $0 | 1 << UInt64($1.utf8.count) }
    }

    /// Whether `bytes[name]` is one of the names, in any letter case.
    @inline(__always)
    func contains(_ bytes: UnsafeRawBufferPointer, _ name: Range<Int>) -> Bool {
        let length = name.count
        guard length < 64, lengths & 1 << UInt64(length) != 0 else { return false }
        for index in starts[length]..<starts[length + 1] {
            if names[index].withUnsafeBytes({ HTTP1Syntax.equalsFoldable(bytes, name, $0.baseAddress!, count: length) }) { return true }
        }
        return false
    }

    /// Whether `name` is one of the names, in any letter case.
    func contains(_ name: String) -> Bool {
        name.withContiguousUTF8 { contains(UnsafeRawBufferPointer($0), 0..<$0.count) }
    }
}
