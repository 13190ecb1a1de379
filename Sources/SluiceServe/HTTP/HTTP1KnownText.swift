/// The field names and values most requests carry, spelled as clients send them: a field whose
/// bytes equal one exactly (letter case included) is given the `String` made once here, which
/// needs no UTF-8 check and no copy per request; any other bytes become a new `String` as
/// before. The text is the same either way. A text is compared as two 8-byte words, so
/// looking one up costs a few instructions, not a byte loop per candidate.
enum HTTP1KnownText {
    private struct Known {
        let low: UInt64
        let high: UInt64
        let string: String
    }

    /// The known texts, 1 to 16 bytes each, by length (index: the length).
    private static let byLength: [[Known]] = {
        let texts = [
            "Host", "host", "Content-Type", "content-type", "Content-Length", "content-length", "Accept", "accept",
            "Accept-Encoding", "accept-encoding", "User-Agent", "user-agent", "Connection", "connection",
            "Authorization", "authorization", "Expect", "expect",
            "application/json", "identity", "*/*", "keep-alive", "close", "gzip, deflate", "100-continue",
        ]
        var table = [[Known]](repeating: [], count: 17)
        for text in texts {
            let utf8 = Array(text.utf8)
            let (low, high) = utf8.withUnsafeBytes { words($0, 0..<utf8.count) }
            table[utf8.count].append(Known(low: low, high: high, string: text))
        }
        return table
    }()

    /// `bytes[range]` as a `String`: the known one when it is a known text, else a new one.
    @inline(__always)
    static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        let count = range.count
        if count == 0 { return "" }
        if count <= 16 {
            let (low, high) = words(bytes, range)
            for known in byLength[count] where known.low == low && known.high == high { return known.string }
        }
        return HTTP1Syntax.string(bytes, range)
    }

    /// `bytes[range]` (1 to 16 bytes) as two little-endian words, zero past its end: two loads
    /// when 16 bytes from its start lie in `bytes`, else byte by byte.
    @inline(__always)
    private static func words(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> (low: UInt64, high: UInt64) {
        let count = range.count
        if range.lowerBound + 16 <= bytes.count, let base = bytes.baseAddress {
            let low = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: range.lowerBound, as: UInt64.self))
            let high = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: range.lowerBound + 8, as: UInt64.self))
            if count < 8 { return (low & (1 << UInt64(8 * count) - 1), 0) }
            if count < 16 { return (low, high & (1 << UInt64(8 * (count - 8)) - 1)) }
            return (low, high)
        }
        var low: UInt64 = 0
        var high: UInt64 = 0
        var offset = 0
        for index in range {
            let byte = UInt64(bytes[index])
            if offset < 8 { low |= byte << UInt64(8 * offset) } else { high |= byte << UInt64(8 * (offset - 8)) }
            offset += 1
        }
        return (low, high)
    }
}
