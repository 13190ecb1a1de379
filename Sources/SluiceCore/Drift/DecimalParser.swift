#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a decimal number from bytes: `[+-]digits[.digits][e[+-]digits]` (also `.5` and
/// `5.`), with spaces and tabs around it. Hexadecimal, `inf` and `nan` are not numbers here,
/// so an ID column such as `0x1A` stays categorical and every number read is finite.
enum DecimalParser {
    /// 10^0 … 10^22: every one is exact in a Double.
    private static let powers: [Double] = (0...22).map { pow(10, Double($0)) }

    /// The finite number the bytes spell, or nil.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, from lower: Int, to upper: Int) -> Double? {
        var start = lower
        var end = upper
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        guard start < end else { return nil }
        var index = start
        guard let value = scan(bytes, at: &index, limit: end), index == end else { return nil }
        return value
    }

    /// Reads the number that starts at `position` and stops at the first byte that cannot
    /// continue it (or at `limit`), leaving `position` there: the caller decides whether what
    /// follows ends the field. nil when no number starts there or it is not finite. Both the
    /// field-by-field path (``parse(_:from:to:)``) and the row fast path (``CSVReader``) read
    /// digits here, so they give the same bits.
    @inline(__always)
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, at position: inout Int, limit end: Int) -> Double? {
        let start = position
        var index = start
        var negative = false
        if index < end, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        // The integer and fraction digits as runs, eight at a time; with at most 19 significant
        // digits the mantissa is their exact value and the exponent minus the fraction's length.
        let digitsStart = index
        var mantissa = digitRun(bytes, at: &index, limit: end, into: 0)
        var digits = index - digitsStart
        var exponent = 0
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            mantissa = digitRun(bytes, at: &index, limit: end, into: mantissa)
            exponent = fractionStart - index
            digits += index - fractionStart
        }
        guard digits > 0 else { return nil }
        var significant = digits
        if digits > 19 {
            // Leading zeros are not significant; past 19 significant digits the wrapped mantissa
            // is wrong, and the digit-by-digit reading keeps the first 19.
            var leading = digitsStart
            while leading < index, bytes[leading] == UInt8(ascii: "0") || bytes[leading] == UInt8(ascii: ".") {
                if bytes[leading] == UInt8(ascii: "0") { significant -= 1 }
                leading += 1
            }
            if significant > 19 { (mantissa, exponent, significant) = longDigits(bytes, from: digitsStart, to: index) }
        }
        if index < end, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            var exponentNegative = false
            if index < end, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            var written = 0
            var exponentDigits = 0
            while index < end, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                written = min(written * 10 + Int(bytes[index] - 0x30), 100_000)
                exponentDigits += 1
                index += 1
            }
            guard exponentDigits > 0 else { return nil }
            exponent += exponentNegative ? -written : written
        }
        position = index
        // Clinger's fast path: an exact integer below 2^53 scaled by an exact power of ten
        // rounds once, so the result is the correctly rounded value.
        if significant <= 19, mantissa < 1 << 53, abs(exponent) <= 22 {
            let magnitude = exponent < 0 ? Double(mantissa) / powers[-exponent] : Double(mantissa) * powers[exponent]
            return negative ? -magnitude : magnitude
        }
        if significant <= 19 {
            if let value = EiselLemire.double(mantissa: mantissa, exponent10: exponent, negative: negative) { return value }
        } else if let below = EiselLemire.double(mantissa: mantissa, exponent10: exponent, negative: negative),
                  let above = EiselLemire.double(mantissa: mantissa + 1, exponent10: exponent, negative: negative), below == above {
            // Digits past the 19th were dropped: the value lies between the two, which round alike.
            return below
        }
        return slowParse(bytes, from: start, to: index)
    }

    /// Appends the digits at `index` to `value` (wrapping past 19 digits), eight at a time
    /// while eight are there, and moves `index` past them.
    @inline(__always)
    private static func digitRun(_ bytes: UnsafeBufferPointer<UInt8>, at index: inout Int, limit end: Int, into value: UInt64) -> UInt64 {
        var value = value
        while end - index >= 8, let chunk = EightDigits.value(bytes, at: index) {
            value = value &* 100_000_000 &+ chunk
            index += 8
        }
        while index < end, bytes[index] &- 0x30 < 10 {
            value = value &* 10 &+ UInt64(bytes[index] &- 0x30)
            index += 1
        }
        return value
    }

    /// More than 19 significant digits in `start..<end` (digits and at most one dot): the first
    /// 19 as the mantissa, the exponent that scales it back, and the count of significant digits.
    private static func longDigits(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> (mantissa: UInt64, exponent: Int, significant: Int) {
        var mantissa: UInt64 = 0
        var significant = 0
        var exponent = 0
        var sawDot = false
        for byte in UnsafeBufferPointer(rebasing: bytes[start..<end]) {
            guard byte != UInt8(ascii: ".") else {
                sawDot = true
                continue
            }
            if mantissa != 0 || byte != 0x30 { significant += 1 }
            if significant <= 19 {
                mantissa = mantissa &* 10 &+ UInt64(byte - 0x30)
                if sawDot { exponent -= 1 }
            } else if !sawDot {
                exponent += 1
            }
        }
        return (mantissa, exponent, significant)
    }

    /// strtod on a NUL-terminated copy, for what ``EiselLemire`` leaves undecided: halfway
    /// cases, subnormals, overflow, and long mantissas whose dropped digits matter.
    private static func slowParse(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Double? {
        var text = Array(bytes[start..<end])
        text.append(0)
        let value = text.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { strtod($0.baseAddress!, nil) }
        }
        return value.isFinite ? value : nil
    }
}
