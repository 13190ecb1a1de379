/// Bytes read a little-endian word at a time, for comparisons and searches that would
/// otherwise go a byte at a time (~5 instructions a byte) or through `memcmp` (a call): JSON
/// member names in the gateway's answer reader, path segments in its router, the scans of its
/// HTTP parsers.
public enum ShortBytes {
    /// The `count` bytes (0 to 8) at `start` as a little-endian word, zeros after them: two
    /// overlapping loads of the widest size that fits, never a byte outside the run.
    @inlinable @inline(__always)
    public static func word(_ start: UnsafeRawPointer, count: Int) -> UInt64 {
        if count >= 4 {
            let low = UInt64(UInt32(littleEndian: start.loadUnaligned(as: UInt32.self)))
            let high = UInt64(UInt32(littleEndian: start.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)))
            return low | high << UInt64(8 * (count - 4))
        }
        if count >= 2 {
            let low = UInt64(UInt16(littleEndian: start.loadUnaligned(as: UInt16.self)))
            let high = UInt64(UInt16(littleEndian: start.loadUnaligned(fromByteOffset: count - 2, as: UInt16.self)))
            return low | high << UInt64(8 * (count - 2))
        }
        return count == 1 ? UInt64(start.load(as: UInt8.self)) : 0
    }

    /// Whether the two runs hold the same bytes: a word at a time, the last word overlapping.
    @inlinable @inline(__always)
    public static func same(_ text: UnsafeBufferPointer<UInt8>, _ other: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = text.count
        guard count == other.count else { return false }
        guard count > 0, let left = text.baseAddress.map(UnsafeRawPointer.init), let right = other.baseAddress.map(UnsafeRawPointer.init) else {
            return true
        }
        if count <= 8 { return word(left, count: count) == word(right, count: count) }
        var offset = 0
        while offset + 8 < count {
            guard left.loadUnaligned(fromByteOffset: offset, as: UInt64.self) == right.loadUnaligned(fromByteOffset: offset, as: UInt64.self) else {
                return false
            }
            offset += 8
        }
        return left.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self) == right.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
    }

    /// The index of the first `byte` in `bytes[from..<to]`, or `to`: eight bytes at a time.
    @inlinable @inline(__always)
    public static func firstIndex(of byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int {
        let pattern = UInt64(byte) &* 0x0101_0101_0101_0101
        return firstStop(UnsafeRawBufferPointer(bytes), from: from, to: to) { word in
            let folded = word ^ pattern
            return (folded &- 0x0101_0101_0101_0101) & ~folded & 0x8080_8080_8080_8080
        } stops: { $0 == byte }
    }

    /// The index of the first byte of `bytes[from..<to]` where `stops` holds, or `to`: eight
    /// bytes at a time while eight are left, `flags` giving the high bit of each byte of a
    /// word (read little-endian) that stops, exact for the lowest flagged one (a borrow or a
    /// carry only runs upwards from it); then a byte at a time. The word-wise scans of the
    /// gateway's parsers are this loop given their flags.
    @inlinable @inline(__always)
    public static func firstStop(
        _ bytes: UnsafeRawBufferPointer, from: Int, to: Int, flags: (UInt64) -> UInt64, stops: (UInt8) -> Bool
    ) -> Int {
        precondition(from >= 0 && to <= bytes.count, "a range inside the bytes")
        var index = from
        if let base = bytes.baseAddress {
            while index &+ 8 <= to {
                let flagged = flags(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self)))
                if flagged != 0 { return index &+ flagged.trailingZeroBitCount >> 3 }
                index &+= 8
            }
        }
        while index < to, !stops(bytes[index]) { index += 1 }
        return index
    }

    /// Whether any byte of `word` is `byte` (a zero byte after `word ^ byte…`; the zeros a
    /// short run is padded with match only a zero `byte`).
    @inlinable @inline(__always)
    public static func has(_ byte: UInt8, in word: UInt64) -> Bool {
        let folded = word ^ (UInt64(byte) &* 0x0101_0101_0101_0101)
        return (folded &- 0x0101_0101_0101_0101) & ~folded & 0x8080_8080_8080_8080 != 0
    }
}
