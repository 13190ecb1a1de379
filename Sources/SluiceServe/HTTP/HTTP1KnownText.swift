/// The field names and values most requests carry, spelled as clients send them, as `String`
/// literals: a field whose bytes equal one exactly (letter case included) is given the
/// literal, which needs no UTF-8 check, no copy and no reference counting; any other bytes
/// become a new `String` as before. The text is the same either way.
enum HTTP1KnownText {
    /// `bytes[range]` as a `String`: a literal when it is a known text, else a new one.
    @inline(__always)
    static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        known(bytes, range) ?? HTTP1Syntax.string(bytes, range)
    }

    /// The literal equal to `bytes[range]`, if any; candidates are chosen by length.
    private static func known(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String? {
        switch range.count {
        case 3: pick(bytes, range, "*/*")
        case 4: pick(bytes, range, "Host") ?? pick(bytes, range, "host")
        case 5: pick(bytes, range, "close")
        case 6: pick(bytes, range, "Accept") ?? pick(bytes, range, "accept") ?? pick(bytes, range, "Expect") ?? pick(bytes, range, "expect")
        case 8: pick(bytes, range, "identity")
        case 10:
            pick(bytes, range, "User-Agent") ?? pick(bytes, range, "user-agent") ?? pick(bytes, range, "Connection")
                ?? pick(bytes, range, "connection") ?? pick(bytes, range, "keep-alive")
        case 12: pick(bytes, range, "Content-Type") ?? pick(bytes, range, "content-type") ?? pick(bytes, range, "100-continue")
        case 13: pick(bytes, range, "Authorization") ?? pick(bytes, range, "authorization") ?? pick(bytes, range, "gzip, deflate")
        case 14: pick(bytes, range, "Content-Length") ?? pick(bytes, range, "content-length")
        case 15: pick(bytes, range, "Accept-Encoding") ?? pick(bytes, range, "accept-encoding")
        case 16: pick(bytes, range, "application/json")
        default: nil
        }
    }

    /// `literal` when `bytes[range]` (of the literal's length) equals it byte for byte.
    @inline(__always)
    private static func pick(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ literal: String) -> String? {
        var text = literal
        let same = text.withUTF8 { utf8 in
            guard utf8.count == range.count else { return false }
            var offset = 0
            for index in range {
                if bytes[index] != utf8[offset] { return false }
                offset += 1
            }
            return true
        }
        return same ? literal : nil
    }
}
