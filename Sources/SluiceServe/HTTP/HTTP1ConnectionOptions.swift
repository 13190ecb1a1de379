/// The options of a head's `Connection` fields (RFC 9110 §7.6.1: comma-separated tokens,
/// any letter case, repeats and several fields allowed), as far as the connection's reuse
/// needs them: whether the peer asked to close, or (in HTTP/1.0) to keep the connection open.
/// Read alike from the callers' requests and the model servers' answers.
struct HTTP1ConnectionOptions {
    private(set) var close = false
    private(set) var keepAlive = false

    /// Notes the options of one `Connection` field's value, `bytes[value]`.
    mutating func note(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>) {
        // The usual value is one option (the field's value comes trimmed): no list to split.
        switch value.count {
        case 10 where HTTP1Syntax.equalsIgnoringCase(bytes, value, "keep-alive"):
            keepAlive = true
            return
        case 5 where HTTP1Syntax.equalsIgnoringCase(bytes, value, "close"):
            close = true
            return
        default:
            break
        }
        var start = value.lowerBound
        while start < value.upperBound {
            var end = start
            while end < value.upperBound, bytes[end] != UInt8(ascii: ",") { end += 1 }
            var first = start
            var last = end
            while first < last, bytes[first] == HTTP1Syntax.space || bytes[first] == HTTP1Syntax.tab { first += 1 }
            while last > first, bytes[last - 1] == HTTP1Syntax.space || bytes[last - 1] == HTTP1Syntax.tab { last -= 1 }
            let option = first..<last
            if HTTP1Syntax.equalsIgnoringCase(bytes, option, "close") {
                close = true
            } else if HTTP1Syntax.equalsIgnoringCase(bytes, option, "keep-alive") {
                keepAlive = true
            }
            start = end + 1
        }
    }

    /// Whether the connection stays open after this message (RFC 9112 §9.3): in HTTP/1.1
    /// unless `close` was asked for, in HTTP/1.0 only when `keep-alive` was (and `close` was not).
    func keepsAlive(minorVersion: Int) -> Bool {
        if close { return false }
        return minorVersion > 0 || keepAlive
    }
}
