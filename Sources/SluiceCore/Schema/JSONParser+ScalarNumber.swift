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
    /// accepts; elsewhere it stops where the number's grammar does, without trapping.
    ///
    /// Integers of up to 18 digits are below 2^63 and read here; other numbers are read by
    /// ``DecimalParser`` (correctly rounded, as `Double(String)` is: Clinger's exact fast path,
    /// Eisel–Lemire, strtod), and the few it leaves (overflow to infinity, 19-digit and
    /// longer integers) through a `String` as before.
    mutating func scalarNumber() -> ScalarNumber? {
        guard let first = current, first == UInt8(ascii: "-") || first &- UInt8(ascii: "0") < 10 else { return nil }
        let start = index
        let negative = first == UInt8(ascii: "-")
        if negative { index += 1 }
        var magnitude = 0
        let digitsStart = index
        while let byte = current, byte &- UInt8(ascii: "0") < 10 {
            magnitude = magnitude &* 10 &+ Int(byte &- UInt8(ascii: "0"))
            index += 1
        }
        let next = current
        let integral = next != UInt8(ascii: ".") && next != UInt8(ascii: "e") && next != UInt8(ascii: "E")
        if integral, index - digitsStart <= 18 { return .int(negative ? -magnitude : magnitude) }
        if !integral {
            var end = start
            if let value = DecimalParser.scan(bytes, at: &end, limit: bytes.count) {
                index = end
                return .double(value)
            }
        }
        index = start
        _ = skipValue(depth: 0)
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if integral, let value = Int(text) { return .int(value) }
        return .double(Double(text) ?? .nan)
    }
}
