#if canImport(Glibc)
import Glibc
#endif
@testable import SluiceCore
import Testing

/// Decimal text to doubles as `sluice drift` reads CSV cells: the Eisel–Lemire path must give
/// exactly what an exact conversion (Swift's `Double(String)`, strtod) gives, and leave
/// undecidable inputs to it.
@Suite("Decimal conversion: Eisel–Lemire", .timeLimit(.minutes(10)))
struct DecimalConversionTests {
    /// Parses through the CSV reader's number parser.
    func parse(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { DecimalParser.parse($0, from: 0, to: $0.count) }
    }

    @Test("the 128-bit powers of ten equal independently computed ones (Python integers)")
    func powersOfTen() {
        // python3: x = 10**e or (1 << 1400) // 10**-e, normalized to its top 128 bits.
        let expected: [Int: (UInt64, UInt64)] = [
            -348: (0xFA8F_D5A0_081C_0288, 0x1732_C869_CD60_E453),
            -1: (0xCCCC_CCCC_CCCC_CCCC, 0xCCCC_CCCC_CCCC_CCCC),
            0: (0x8000_0000_0000_0000, 0),
            1: (0xA000_0000_0000_0000, 0),
            23: (0xA968_163F_0A57_B400, 0),
            347: (0xD13E_B464_6944_7567, 0x4B71_95F2_D2D1_A9FB),
        ]
        #expect(PowersOfTen128.table.count == 696)
        for (exponent, words) in expected {
            let entry = PowersOfTen128.table[exponent + 348]
            #expect(entry.high == words.0 && entry.low == words.1, "10^\(exponent)")
        }
        #expect(PowersOfTen128.table.allSatisfy { $0.high >> 63 == 1 }, "every entry is normalized")
    }

    @Test("hard cases: halfway points, the subnormal edge, the largest double, long mantissas")
    func hardCases() throws {
        let cases = [
            "9007199254740993", "9007199254740992.5", "9007199254740993.0000000000000000001",
            "2.2250738585072011e-308", "2.2250738585072014e-308", "4.9e-324", "2.4703282292062327e-324",
            "1.7976931348623157e308", "1.7976931348623158e308", "8.98846567431158e307",
            "1e23", "1e-23", "7.038531e-26", "5e-324", "0.1", "0.3", "2.675", "1.00000000000000011102230246251565404236316680908203125",
            "1.00000000000000011102230246251565404236316680908203124", "1.00000000000000011102230246251565404236316680908203126",
            "123456789012345678901234567890", "0.000000000000000000000000000001", "-0.0", "1e-348", "1e347", "1e-349", "9e307",
        ]
        for text in cases {
            let exact = try #require(Double(text))
            let parsed = parse(text)
            if exact.isFinite {
                #expect(parsed?.bitPattern == exact.bitPattern, "\(text)")
            } else {
                #expect(parsed == nil, "\(text) is not finite")
            }
        }
    }

    @Test("a million random 17-digit doubles and random decimal strings round-trip bit for bit")
    func randomInputs() {
        var state: UInt64 = 0x5EED
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
        var mismatches: [String] = []
        var buffer = [CChar](repeating: 0, count: 64)
        for round in 0..<1_000_000 {
            let text: String
            if round % 2 == 0 {
                // Any finite double printed with 17 significant digits (what numpy and pandas write).
                let value = Double(bitPattern: next() & ~(0x7FF << 52) | (next() % 0x7FF) << 52)
                _ = withVaList([value]) { vsnprintf(&buffer, 64, "%.17g", $0) }
                text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            } else {
                // Random digits and exponents, from 1 to 25 significant digits.
                let digits = Int(next() % 25) + 1
                var mantissa = ""
                for _ in 0..<digits { mantissa.append(Character(Unicode.Scalar(UInt8(48 + next() % 10)))) }
                text = "\(mantissa)e\(Int(next() % 700) - 360)"
            }
            let exact = Double(text)!
            let parsed = parse(text)
            let agrees = exact.isFinite ? parsed?.bitPattern == exact.bitPattern : parsed == nil
            if !agrees, mismatches.count < 10 { mismatches.append(text) }
        }
        #expect(mismatches.isEmpty, "differ from Double(String): \(mismatches)")
    }

    @Test("eight digits at once: every digit in every place, and any other byte refuses the word")
    func eightDigits() {
        func value(_ text: String) -> UInt64? {
            Array(text.utf8).withUnsafeBufferPointer { EightDigits.value($0, at: 0) }
        }
        #expect(value("00000000") == 0)
        #expect(value("12345678") == 12_345_678)
        #expect(value("99999999") == 99_999_999)
        for place in 0..<8 {
            for digit in 0...9 {
                var text = Array(repeating: UInt8(ascii: "0"), count: 8)
                text[place] = UInt8(48 + digit)
                let expected = UInt64(digit) * [10_000_000, 1_000_000, 100_000, 10_000, 1000, 100, 10, 1][place]
                #expect(text.withUnsafeBufferPointer { EightDigits.value($0, at: 0) } == expected)
            }
            for byte in [0x2F, 0x3A, 0x2E, 0x2C, 0x20, 0x00, 0xFF, 0xB0, 0x40, 0x65] as [UInt8] {
                var text = Array("12345678".utf8)
                text[place] = byte
                #expect(text.withUnsafeBufferPointer { EightDigits.value($0, at: 0) } == nil, "byte \(byte) at \(place)")
            }
        }
    }

    @Test("the delimiter search finds the first comma or newline at every offset and field length")
    func delimiterSearch() {
        for length in 0..<40 {
            for delimiter in [UInt8(ascii: ","), UInt8(ascii: "\n"), nil] {
                var bytes = Array(repeating: UInt8(ascii: "7"), count: length)
                if let delimiter { bytes += [delimiter] + Array("9,\n,".utf8) }
                for start in 0...min(length, 9) {
                    let found = bytes.withUnsafeBufferPointer { CSVScanner.delimiter(in: $0, from: start) }
                    #expect(found == length, "length \(length), start \(start)")
                }
            }
        }
        // Bytes whose difference from a comma or newline borrows (0x2B, 0x09, 0x00) are no delimiters.
        let tricky: [UInt8] = [0x2B, 0x09, 0x00, 0x2D, 0x0B, 0x01, 0x2B, 0x09, 0x2C]
        #expect(tricky.withUnsafeBufferPointer { CSVScanner.delimiter(in: $0, from: 0) } == 8)
    }

    @Test("Eisel–Lemire declines what it cannot decide instead of guessing")
    func declines() {
        // 2^53 + 1 is exactly halfway between two doubles.
        #expect(EiselLemire.double(mantissa: 9_007_199_254_740_993, exponent10: 0, negative: false) == nil)
        #expect(EiselLemire.double(mantissa: 5, exponent10: -324, negative: false) == nil, "subnormal")
        #expect(EiselLemire.double(mantissa: 1, exponent10: 309, negative: false) == nil, "overflow")
        #expect(EiselLemire.double(mantissa: 1, exponent10: 400, negative: false) == nil, "outside the table")
        #expect(EiselLemire.double(mantissa: 0, exponent10: 400, negative: true)?.bitPattern == (-0.0).bitPattern)
        #expect(EiselLemire.double(mantissa: 17_976_931_348_623_157, exponent10: 292, negative: false) == .greatestFiniteMagnitude)
    }
}
