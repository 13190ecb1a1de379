import NIOCore

/// Writes an HTTP head into memory reserved once in a `ByteBuffer`: each piece is a copy into
/// raw memory. A `ByteBuffer.writeString` per piece checks the buffer's uniqueness, its
/// capacity and (a runtime exclusivity check) its access each time; a proxied request wrote
/// 44 pieces that way, ~7,000 of the gateway's ~124,000 instructions per request in
/// callgrind (Benchmarks/README.md, "Hot path, slice 12").
///
/// Made by ``ByteBuffer/writeHead(maximumBytes:_:)``, which reserves the bound its caller
/// computed; writing past it is a programming error and traps.
package struct HeadBytesWriter {
    private let memory: UnsafeMutableRawBufferPointer
    /// Bytes written so far.
    private(set) var count = 0

    fileprivate init(_ memory: UnsafeMutableRawBufferPointer) {
        self.memory = memory
    }

    /// Copies `bytes`.
    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        precondition(bytes.count <= memory.count - count, "a head outgrew the bound its writer reserved")
        (memory.baseAddress! + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    /// Copies a static string's UTF-8 bytes.
    @inline(__always)
    mutating func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Copies a string's UTF-8 bytes (at most `text.utf8.count`). Labelled so that a literal
    /// takes ``append(_:)-(StaticString)``: unlabelled, `": "` and `"\r\n"` were `String`s
    /// (the literal's default type wins), each copied through this path (~13 a request).
    mutating func append(string text: String) {
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { append(UnsafeRawBufferPointer($0)) }
        if copied == nil {
            for byte in text.utf8 { append(byte) }
        }
    }

    /// Writes a request id's 32 hex digits.
    mutating func append(_ id: RequestID) {
        precondition(RequestID.digits <= memory.count - count, "a head outgrew the bound its writer reserved")
        id.write(to: UnsafeMutableRawBufferPointer(rebasing: memory[count...]))
        count += RequestID.digits
    }

    /// Copies one byte.
    @inline(__always)
    mutating func append(_ byte: UInt8) {
        precondition(count < memory.count, "a head outgrew the bound its writer reserved")
        memory[count] = byte
        count += 1
    }

    /// Writes a non-negative `value` in decimal (at most ``maximumDecimalBytes`` bytes): its
    /// digits counted first, then written from the last straight into the head, unsigned (a
    /// signed division by ten costs more) and with no copy through a scratch buffer and
    /// `memcpy` (~90 instructions for a content length; ~40 this way).
    mutating func appendDecimal(_ value: Int) {
        precondition(value >= 0, "a length or status is never negative")
        var rest = UInt(value)
        var digits = 1
        var bound: UInt = 10
        while digits < Self.maximumDecimalBytes, rest >= bound {
            digits += 1
            bound &*= 10
        }
        precondition(digits <= memory.count - count, "a head outgrew the bound its writer reserved")
        let start = memory.baseAddress! + count
        var index = digits
        repeat {
            index -= 1
            let (quotient, remainder) = rest.quotientAndRemainder(dividingBy: 10)
            start.storeBytes(of: UInt8(truncatingIfNeeded: 48 &+ remainder), toByteOffset: index, as: UInt8.self)
            rest = quotient
        } while index > 0
        count += digits
    }

    /// The most bytes ``appendDecimal(_:)`` writes.
    static let maximumDecimalBytes = 19
}

extension ByteBuffer {
    /// Writes a head of at most `maximumBytes` bytes with `write`, reserving them once.
    package mutating func writeHead(maximumBytes: Int, _ write: (inout HeadBytesWriter) -> Void) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: maximumBytes) { memory in
            var writer = HeadBytesWriter(UnsafeMutableRawBufferPointer(rebasing: memory[..<maximumBytes]))
            write(&writer)
            return writer.count
        }
    }
}
