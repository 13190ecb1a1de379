/// Numbers read straight from bytes: the gateway reads a number or two of every answer,
/// and a `String` per number (for `Int(_:)` / `Double(_:)`) cost more than the rest.
extension JSONParser.Cursor {
    /// A JSON number, as `JSONValue` keeps it.
    enum ScalarNumber: Equatable {
        case int(Int)
        case double(Double)
    }

    /// A number as ``number()`` reads it (an `Int` when integral and in range, else the
    /// `Double` that `Double(String)` reads), moving past it; nil, without moving, at
    /// anything that does not start a number. For a number ``JSONParser/validate(_:)``
    /// accepts; elsewhere it stops at the first byte that does not fit, without trapping.
    ///
    /// Integers of up to 18 digits, and decimals whose digits make an integer of at most
    /// 2^53 scaled by at most 10^±22, are converted here: both factors are exact doubles, so
    /// one IEEE multiplication or division rounds the exact value correctly, as `Double(String)`
    /// does (Clinger's fast path). Anything else goes through a `String` as before.
    mutating func scalarNumber() -> ScalarNumber? {
        guard let first = current, first == UInt8(ascii: "-") || first &- UInt8(ascii: "0") < 10 else { return nil }
        let start = index
        let negative = first == UInt8(ascii: "-")
        if negative { index += 1 }
        var mantissa: UInt64 = 0
        var digitCount = 0
        var fractionDigits = 0
        var integral = true
        while let byte = current, byte &- UInt8(ascii: "0") < 10 {
            if digitCount < 19 { mantissa = mantissa &* 10 &+ UInt64(byte &- UInt8(ascii: "0")) }
            digitCount += 1
            index += 1
        }
        if current == UInt8(ascii: ".") {
            integral = false
            index += 1
            while let byte = current, byte &- UInt8(ascii: "0") < 10 {
                if digitCount < 19 { mantissa = mantissa &* 10 &+ UInt64(byte &- UInt8(ascii: "0")) }
                digitCount += 1
                fractionDigits += 1
                index += 1
            }
        }
        var exponent = 0
        var exponentDigits = 0
        var exponentNegative = false
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            integral = false
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") {
                exponentNegative = current == UInt8(ascii: "-")
                index += 1
            }
            while let byte = current, byte &- UInt8(ascii: "0") < 10 {
                if exponentDigits < 5 { exponent = exponent * 10 + Int(byte &- UInt8(ascii: "0")) }
                exponentDigits += 1
                index += 1
            }
        }
        if integral, digitCount <= 18 {
            // Below 10^18 < 2^63: `Int(String)` reads the same value ("-0" as 0).
            return .int(negative ? -Int(mantissa) : Int(mantissa))
        }
        if !integral, digitCount <= 19, exponentDigits <= 5, mantissa <= 1 << 53 {
            let scale = (exponentNegative ? -exponent : exponent) - fractionDigits
            if scale >= -22, scale <= 22 {
                var value = Double(mantissa)
                value = scale >= 0 ? value * Self.exactPowersOfTen[scale] : value / Self.exactPowersOfTen[-scale]
                return .double(negative ? -value : value)
            }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if integral, let value = Int(text) { return .int(value) }
        return .double(Double(text) ?? .nan)
    }

    /// 10^0 … 10^22, every one exactly a `Double` (5^22 < 2^53).
    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]
}
