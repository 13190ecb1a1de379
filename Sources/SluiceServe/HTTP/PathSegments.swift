import SluiceCore

/// The non-empty segments of a request target's path (up to its `?`) split at "/", as
/// `split(separator: "/", omittingEmptySubsequences: true)` gives them, found in one pass over
/// the target's contiguous UTF-8: no array, no `Substring` indexing (a `Substring.UTF8View`
/// walk and its comparisons cost ~4,000 instructions per request in callgrind,
/// Benchmarks/README.md "Hot path, slice 12"). `count` counts every segment; only the first
/// ``capacity`` are kept (no route of the gateway has more, and a longer path is refused on its
/// count alone). The parser admits only visible ASCII in a request target, so byte and
/// character boundaries agree. Made once per request, with its head (``RequestHead/segments``).
struct PathSegments {
    /// Segments kept (the longest route, `/v2/models/<m>/versions/<v>/<action>`, has six).
    static let capacity = 6

    /// The request target the segments were found in.
    let target: String
    private(set) var count = 0
    /// Start and end byte offsets of kept segment n, as the 32-bit halves of word n. A tuple
    /// read and written through its bytes: a `SIMD16` lane chosen at run time went through
    /// memory anyway, at several times the cost (Benchmarks/README.md, "Hot path, slice 47").
    private var bounds: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
    /// The first eight bytes of kept segment n (fewer for a shorter one, zeros after them),
    /// read little-endian as word n: a segment is compared with a literal of up to eight bytes
    /// (every one the gateway routes on) in a word, without the target's bytes. Read through
    /// the `String` with `memcmp`, the gateway's seven comparisons a request cost ~470
    /// instructions (Benchmarks/README.md, "Hot path, slice 56").
    private var prefixes: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)

    init(target: String) {
        self.target = target
        var bounds: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
        var prefixes: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
        var count = 0
        target.withContiguousUTF8 { bytes in
            withUnsafeMutableBytes(of: &bounds) { words in
                withUnsafeMutableBytes(of: &prefixes) { heads in
                    let slash = UInt8(ascii: "/")
                    // Both searches eight bytes at a time: a byte at a time, the split cost
                    // ~20 instructions a byte of the target.
                    let end = ShortBytes.firstIndex(of: UInt8(ascii: "?"), in: bytes, from: 0, to: bytes.count)
                    var index = 0
                    while index < end {
                        if bytes[index] == slash {
                            index += 1
                            continue
                        }
                        let stop = ShortBytes.firstIndex(of: slash, in: bytes, from: index + 1, to: end)
                        if count < Self.capacity {
                            let word = UInt64(truncatingIfNeeded: index) | UInt64(truncatingIfNeeded: stop) << 32
                            words.storeBytes(of: word, toByteOffset: 8 * count, as: UInt64.self)
                            heads.storeBytes(of: Self.prefix(bytes, index..<stop), toByteOffset: 8 * count, as: UInt64.self)
                        }
                        count += 1
                        index = stop
                    }
                }
            }
        }
        self.bounds = bounds
        self.prefixes = prefixes
        self.count = count
    }

    /// The first eight bytes of `bytes[range]` (fewer when it is shorter, zeros after them) as a
    /// little-endian word.
    @inline(__always)
    private static func prefix(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64 {
        ShortBytes.word(UnsafeRawPointer(bytes.baseAddress! + range.lowerBound), count: min(range.count, 8))
    }

    private func range(_ index: Int) -> Range<Int> {
        precondition(index >= 0 && index < min(count, Self.capacity), "segment \(index) of \(count)")
        let word = withUnsafeBytes(of: bounds) { $0.load(fromByteOffset: 8 * index, as: UInt64.self) }
        return Int(truncatingIfNeeded: word & 0xFFFF_FFFF)..<Int(truncatingIfNeeded: word >> 32)
    }

    /// Segment `index` (below `count` and ``capacity``).
    func string(_ index: Int) -> String {
        let range = range(index)
        return target.withContiguousUTF8 { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
    }

    /// Whether segment `index` exists and is exactly `literal`, compared as bytes: in a word
    /// for a literal of up to eight bytes.
    @inline(__always)
    func segment(_ index: Int, is literal: StaticString) -> Bool {
        guard index < min(count, Self.capacity) else { return false }
        let range = range(index)
        let length = literal.utf8CodeUnitCount
        guard range.count == length else { return false }
        if length <= 8 {
            let prefix = withUnsafeBytes(of: prefixes) { $0.load(fromByteOffset: 8 * index, as: UInt64.self) }
            return prefix == ShortBytes.word(UnsafeRawPointer(literal.utf8Start), count: length)
        }
        return target.withContiguousUTF8 { bytes in
            ShortBytes.same(UnsafeBufferPointer(rebasing: bytes[range]), UnsafeBufferPointer(start: literal.utf8Start, count: length))
        }
    }
}
