@testable import SluiceCore
import Testing

/// JSON numbers read from bytes (``JSONParser/Cursor/scalarNumber()``) are exactly what the
/// parser reads through a `String`: `Int(String)` when integral and in range, else the bits
/// of `Double(String)`.
@Suite("JSON numbers from bytes", .timeLimit(.minutes(10)))
struct JSONParserScalarNumberTests {
    /// What the parser makes of `text`, compared bit for bit.
    private enum Reading: Equatable {
        case int(Int)
        case bits(UInt64)
    }

    private func expectSameReading(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let expected: Reading? =
            switch try? JSONParser.parse(text) {
            case .int(let value)?: .int(value)
            case .number(let value)?: .bits(value.bitPattern)
            default: nil
            }
        #expect(expected != nil, "\(text) is a JSON number", sourceLocation: sourceLocation)
        // Followed by what may follow a number in a document, which must stay unread.
        let bytes = Array((text + ",").utf8)
        let (read, end) = bytes.withUnsafeBufferPointer { buffer -> (Reading?, Int) in
            var cursor = JSONParser.Cursor(bytes: buffer)
            let reading: Reading? =
                switch cursor.scalarNumber() {
                case .int(let value)?: .int(value)
                case .double(let value)?: .bits(value.bitPattern)
                case nil: nil
                }
            return (reading, cursor.index)
        }
        #expect(read == expected, "\(text)", sourceLocation: sourceLocation)
        #expect(end == bytes.count - 1, "\(text) read to its end", sourceLocation: sourceLocation)
    }

    @Test("edge cases: signs, zeros, Int's bounds, 2^53, exact powers of ten and beyond, subnormals, overflow")
    func edgeCases() {
        for text in JSONNumberSamples.edgeCases { expectSameReading(text) }
    }

    @Test("random integers, decimals and exponents (a fixed seed)")
    func randomNumbers() {
        var random = SplitMix(seed: 2026)
        for _ in 0..<200_000 { expectSameReading(JSONNumberSamples.random(&random)) }
    }

    @Test("the shortest text of random doubles, as a model server writes them")
    func randomDoubles() {
        var random = SplitMix(seed: 53)
        for _ in 0..<100_000 {
            let value = Double(bitPattern: random.next())
            guard value.isFinite else { continue }
            var text = "\(value)"
            if text.hasSuffix(".0") { text.removeLast(2) }  // JSON has no "1.0e+20"-style text; keep it plain
            guard (try? JSONParser.parse(text)) != nil else { continue }
            expectSameReading(text)
        }
    }

    @Test("not a number: nil, the cursor unmoved")
    func notANumber() {
        for text in ["", "\"1\"", "true", "[1]", "+1", ".5", "x"] {
            let bytes = Array(text.utf8)
            bytes.withUnsafeBufferPointer { buffer in
                var cursor = JSONParser.Cursor(bytes: buffer)
                #expect(cursor.scalarNumber() == nil, "\(text)")
                #expect(cursor.index == 0)
            }
        }
    }
}

/// JSON numbers to read both ways.
enum JSONNumberSamples {
    static let edgeCases = [
        "0", "-0", "0.0", "-0.0", "0e0", "-0e-0", "0E+5", "0.000", "1", "-1", "7", "10", "0.5", "-0.5", "0.1", "0.2", "0.3",
        "1.5", "2.675", "4.35", "120.5", "14", "1e0", "1e1", "1e22", "1e23", "1e-22", "1e-23", "9.999999999999999e22",
        "123456789012345678", "-123456789012345678", "999999999999999999", "1000000000000000000", "9223372036854775807",
        "-9223372036854775808", "9223372036854775808", "-9223372036854775809", "99999999999999999999", "12345678901234567890123",
        "9007199254740991", "9007199254740992", "9007199254740993", "9007199254740993.0", "9007199254740992.5",
        "9007199254740993e-5", "900719925474099.3", "90071992547409.93", "0.30000000000000004", "1.7976931348623157e308",
        "1.7976931348623159e308", "1e308", "1e309", "-1e400", "1e-400", "-1e-400", "5e-324", "2.4703282292062327e-324",
        "2.2250738585072014e-308", "2.2250738585072011e-308", "4.9406564584124654e-324", "1.00000000000000011102230246251565404236316680908203125",
        "0.1000000000000000055511151231257827021181583404541015625", "123.456e-7", "1234567890.0987654321", "1E2", "1e+2",
        "1e-2", "1.0e-0", "100e-2", "1e00000", "1e-00001", "1e99999", "1e-99999", "0.00000000000000000000000001",
        "1000000000000000000000000000000000000000e-40", "3.0e2", "3e-1", "8.25e21", "8.25e-21", "4503599627370497.5",
    ]

    /// A random JSON number: an integer, a decimal or an exponent form, of 1 to 25 digits.
    static func random(_ random: inout SplitMix) -> String {
        func digits(_ count: Int, leadingNonZero: Bool) -> String {
            var text = ""
            for position in 0..<count {
                let digit = random.next() % 10
                text += String(position == 0 && leadingNonZero && digit == 0 ? 1 : digit)
            }
            return text
        }
        var text = random.next() % 3 == 0 ? "-" : ""
        let integerDigits = Int(random.next() % 20)
        text += integerDigits == 0 ? "0" : digits(integerDigits, leadingNonZero: true)
        let form = random.next() % 4
        if form >= 1 { text += "." + digits(1 + Int(random.next() % 20), leadingNonZero: false) }
        if form >= 2 || random.next() % 8 == 0 {
            text += ["e", "E"][Int(random.next() % 2)] + ["", "+", "-"][Int(random.next() % 3)]
            text += String(random.next() % (random.next() % 2 == 0 ? 30 : 400))
        }
        return text
    }
}
