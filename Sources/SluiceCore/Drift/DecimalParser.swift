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
        var negative = false
        if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var significant = 0
        var exponent = 0
        var sawDot = false
        while index < end {
            // Eight digits at once while they all fit in the mantissa (most of a 17-digit number).
            if mantissa != 0, significant <= 11, end - index >= 8, let chunk = EightDigits.value(bytes, at: index) {
                mantissa = mantissa &* 100_000_000 &+ chunk
                digits += 8
                significant += 8
                if sawDot { exponent -= 8 }
                index += 8
                continue
            }
            let byte = bytes[index]
            if byte >= 0x30, byte <= 0x39 {
                digits += 1
                if mantissa != 0 || byte != 0x30 { significant += 1 }
                if significant <= 19 {
                    mantissa = mantissa &* 10 &+ UInt64(byte - 0x30)
                    if sawDot { exponent -= 1 }
                } else if !sawDot {
                    exponent += 1
                }
            } else if byte == UInt8(ascii: "."), !sawDot {
                sawDot = true
            } else {
                break
            }
            index += 1
        }
        guard digits > 0 else { return nil }
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
        guard index == end else { return nil }
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
        return slowParse(bytes, from: start, to: end)
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
