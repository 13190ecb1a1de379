import Testing

@testable import SluiceServe

/// The byte-level pieces both parsers share, checked against plain byte-by-byte definitions:
/// the token mask given as literals, and the scans that read eight bytes at a time (a wrong
/// flag there would let a control character or a bare LF through).
@Suite("HTTP/1 syntax") struct HTTP1SyntaxTests {
    /// `tchar` of RFC 9110 §5.6.2, spelled out.
    static let tchars = Set(Array("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8))

    static func isControl(_ byte: UInt8) -> Bool { byte < 32 || byte == 127 }

    @Test("the token mask is exactly RFC 9110's tchar, for every byte")
    func tokenMask() {
        for byte in UInt8.min...UInt8.max {
            #expect(HTTP1Syntax.isToken(byte) == Self.tchars.contains(byte), "byte \(byte)")
        }
    }

    /// Bytes around every boundary the word tests could get wrong: controls, DEL, space,
    /// obs-text on both sides of 0xA0 (where `word - 0x20…` sets a high bit), LF and CR.
    static let probes: [UInt8] = [0, 9, 10, 13, 31, 32, 33, 0x7E, 0x7F, 0x80, 0x8A, 0x9F, 0xA0, 0xFF, 0x2A]

    /// The names the parsers and the field-name sets compare with, of every length they have,
    /// and every byte a foldable name may hold.
    static let foldableNames = [
        "te", "host", "close", "expect", "trailer", "upgrade", "chunked", "keep-alive", "connection", "x-request-id",
        "100-continue", "content-length", "x-sluice-model", "x-forwarded-for", "proxy-connection", "x-sluice-version",
        "transfer-encoding", "proxy-authenticate", "proxy-authorization", "x-client-request-id", "a", "", "abc", "a-1", "http://", "https://", " !\"#$%&'()*+,-./0123456789:;<=>?abcdefghijklmnopqrstuvwxyz",
    ]

    @Test("names compare word-wise as byte by byte: every byte value at every place, in any case, at any alignment")
    func foldedComparison() {
        func reference(_ text: [UInt8], _ name: [UInt8]) -> Bool {
            text.count == name.count && zip(text, name).allSatisfy { ($0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0) == $1 }
        }
        var generator = SplitMix64(state: 11)
        for name in Self.foldableNames {
            let expected = Array(name.utf8)
            #expect(expected.withUnsafeBufferPointer(HTTP1Syntax.isFoldable))
            var cases: [[UInt8]] = [expected, expected.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }]
            for _ in 0..<20 { cases.append(expected.map { $0 >= 97 && $0 <= 122 && generator.next() & 1 == 0 ? $0 - 32 : $0 }) }
            for offset in expected.indices {
                for byte in UInt8.min...UInt8.max {
                    var changed = expected
                    changed[offset] = byte
                    cases.append(changed)
                }
            }
            cases.append(expected.dropLast() + [])
            cases.append(expected + [UInt8(ascii: "a")])
            for text in cases {
                // At every alignment inside a larger buffer, with bytes on both sides.
                for lead in 0..<8 {
                    let buffer = [UInt8](repeating: 0x41, count: lead) + text + [0x0D, 0x0A]
                    let range = lead..<(lead + text.count)
                    let found = buffer.withUnsafeBytes { bytes in
                        expected.withUnsafeBytes { HTTP1Syntax.equalsFoldable(bytes, range, $0.baseAddress ?? UnsafeRawPointer(bytes.baseAddress!), count: expected.count) }
                    }
                    #expect(found == reference(text, expected), "\(text) against \(name) at \(lead)")
                }
            }
        }
    }

    @Test("the first control character is found at every place, after any bytes, word-wise as byte by byte")
    func firstControl() {
        Self.forEachRandomRun(seed: 7, plainFrom: 32, count: 224) { bytes, from in
            let expected = bytes[from...].firstIndex(where: Self.isControl) ?? bytes.count
            let found = bytes.withUnsafeBytes { HTTP1Syntax.firstControl($0, from: from) }
            #expect(found == expected, "\(bytes) from \(from)")
        }
    }

    /// Calls `body` with 60 random runs of each length up to 40 and each place to scan from:
    /// mostly plain bytes (`count` values from `plainFrom`), a quarter probes, so what a scan
    /// looks for is often late or absent.
    static func forEachRandomRun(seed: UInt64, plainFrom low: UInt64, count: UInt64, _ body: ([UInt8], Int) -> Void) {
        var generator = SplitMix64(state: seed)
        for length in 0...40 {
            for _ in 0..<60 {
                let bytes: [UInt8] = (0..<length).map { _ in
                    let pick = generator.next()
                    return pick % 4 == 0 ? Self.probes[Int(pick >> 8) % Self.probes.count] : UInt8(truncatingIfNeeded: low + (pick >> 16) % count)
                }
                for from in 0...length { body(bytes, from) }
            }
        }
    }

    @Test("a request target's end (the first byte not visible ASCII) is found at every place, word-wise as byte by byte")
    func visibleRunEnd() {
        Self.forEachRandomRun(seed: 56, plainFrom: 33, count: 94) { bytes, from in
            let expected = bytes[from...].firstIndex { $0 <= 32 || $0 >= 127 } ?? bytes.count
            let found = bytes.withUnsafeBytes { HTTP1Syntax.visibleRunEnd($0, from: from) }
            #expect(found == expected, "\(bytes) from \(from)")
        }
        // Every byte value alone at every place of a visible run across three words.
        for byte in 0...255 {
            for place in 0..<24 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 24)
                bytes[place] = UInt8(byte)
                let visible = byte > 32 && byte < 127
                #expect(bytes.withUnsafeBytes { HTTP1Syntax.visibleRunEnd($0, from: 0) } == (visible ? 24 : place), "\(byte) at \(place)")
            }
        }
    }

    @Test("every probe byte alone at every place of a 24-byte run")
    func firstControlEachPlace() {
        for probe in Self.probes {
            for place in 0..<24 {
                var bytes = [UInt8](repeating: 0xA5, count: 24)
                bytes[place] = probe
                let found = bytes.withUnsafeBytes { HTTP1Syntax.firstControl($0, from: 0) }
                #expect(found == (Self.isControl(probe) ? place : 24), "\(probe) at \(place)")
            }
        }
    }

    @Test("a CR or LF is found at every place of every length, word-wise as byte by byte, in bytes and in strings")
    func lineBreak() {
        // Every byte value beside the two, since `word ^ 0x0D…` and `word ^ 0x0A…` borrow across bytes.
        for length in 0...40 {
            for place in 0..<max(length, 1) {
                for probe in UInt8.min...UInt8.max where length > 0 || probe == 0 {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    if length > 0 { bytes[place] = probe }
                    let expected = bytes.contains(13) || bytes.contains(10)
                    #expect(bytes.withUnsafeBytes { HTTP1Syntax.hasLineBreak($0) } == expected, "\(probe) at \(place) of \(length)")
                }
            }
        }
        for text in ["", "a", "\r", "small\n", "a native string longer than fifteen bytes", "a native string longer than fifteen\r\n"] {
            #expect(HTTP1Syntax.hasLineBreak(text) == (text.utf8.contains(13) || text.utf8.contains(10)), "\(text.debugDescription)")
        }
    }

    @Test("a line feed is found at every place and must follow a CR of its line")
    func lineFeed() throws {
        for length in 1...30 {
            for place in 0..<length {
                for before in [UInt8(13), 32, 10] {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[place] = 10
                    if place > 0 { bytes[place - 1] = before }
                    let lineStart = 0
                    let outcome = bytes.withUnsafeBytes { raw in
                        Result { () throws(HTTP1ParseError) in try HTTP1Syntax.lineFeed(raw, from: 0, lineStart: lineStart) }
                    }
                    // The first LF is the one before it when `before` is itself an LF.
                    let first = bytes.firstIndex(of: 10)!
                    let valid = first > 0 && bytes[first - 1] == 13
                    switch outcome {
                    case .success(let index): #expect(valid && index == first, "\(bytes)")
                    case .failure(let error): #expect(!valid && error == .bareLineFeed, "\(bytes)")
                    }
                }
            }
            let none = [UInt8](repeating: 13, count: length)
            #expect(try none.withUnsafeBytes { try HTTP1Syntax.lineFeed($0, from: 0, lineStart: 0) } == nil)
        }
    }

    /// The field line's name, trimmed value and next line start as text, or the error.
    static func fieldLine(_ text: String) -> String {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { raw in
            do {
                let field = try HTTP1Syntax.fieldLine(raw, at: 0)
                let name = String(decoding: bytes[field.name], as: UTF8.self)
                let value = String(decoding: bytes[field.value], as: UTF8.self)
                return "\(name)|\(value)|\(field.next)"
            } catch {
                return "\(error)"
            }
        }
    }

    @Test("field lines: whitespace around values, tabs and obs-text inside, and what is refused")
    func fieldLines() {
        #expect(Self.fieldLine("Host: a\r\nX: y\r\n") == "Host|a|9")
        #expect(Self.fieldLine("a:\r\n") == "a||4")
        #expect(Self.fieldLine("a: \t \r\n") == "a||7")
        #expect(Self.fieldLine("long-name-here:  one\ttwo three four five six \t \r\n") == "long-name-here|one\ttwo three four five six|49")
        #expect(Self.fieldLine("a: caf\u{E9} \u{80}\r\n") == "a|caf\u{E9} \u{80}|13")
        #expect(Self.fieldLine(" a: b\r\n") == "obsoleteLineFolding")
        #expect(Self.fieldLine("\ta: b\r\n") == "obsoleteLineFolding")
        #expect(Self.fieldLine("a : b\r\n") == "whitespaceBeforeColon")
        #expect(Self.fieldLine("a\t: b\r\n") == "whitespaceBeforeColon")
        #expect(Self.fieldLine(": b\r\n") == "invalidHeaderName")
        #expect(Self.fieldLine("a\r\n") == "invalidHeaderName")
        #expect(Self.fieldLine("a(b): c\r\n") == "invalidHeaderName")
        #expect(Self.fieldLine("a\rb: c\r\n") == "invalidHeaderName")
        // A CR that does not end the line, anywhere in a value, long or short.
        #expect(Self.fieldLine("a: b\rc\r\n") == "invalidHeaderValue")
        #expect(Self.fieldLine("a: \rb\r\n") == "invalidHeaderValue")
        #expect(Self.fieldLine("a: 0123456789abcdef\r0123\r\n") == "invalidHeaderValue")
        #expect(Self.fieldLine("a: b\r\r\n") == "invalidHeaderValue")
        for control in [UInt8](0..<32).filter({ $0 != 9 && $0 != 13 }) + [127] {
            for place in 0..<20 {
                var value = [UInt8](repeating: UInt8(ascii: "v"), count: 20)
                value[place] = control
                let text = "name: " + String(decoding: value, as: UTF8.self) + "\r\n"
                #expect(Self.fieldLine(text) == "invalidHeaderValue", "\(control) at \(place)")
            }
        }
        // No line end within the bytes: refused, never read past them.
        #expect(Self.fieldLine("a: bbbbbbbbbbbbbbbbbbbb") == "invalidHeaderValue")
        #expect(Self.fieldLine("a: b\r") == "invalidHeaderValue")
        #expect(Self.fieldLine("aaaa") == "invalidHeaderName")
    }

    /// The field line reader as it was before it read eight bytes at a time (byte by byte,
    /// over a line whose CRLF was found first): the reference the new one must agree with.
    static func referenceFieldLine(_ bytes: [UInt8]) -> String {
        let end = bytes.count - 2  // the line's CR; the generator ends every line in CRLF
        let first = bytes[0]
        if first == 32 || first == 9 { return "obsoleteLineFolding" }
        var index = 0
        while index < end, HTTP1SyntaxTests.tchars.contains(bytes[index]) { index += 1 }
        guard index < end, index > 0 else { return "invalidHeaderName" }
        guard bytes[index] == 58 else { return bytes[index] == 32 || bytes[index] == 9 ? "whitespaceBeforeColon" : "invalidHeaderName" }
        let name = 0..<index
        index += 1
        while index < end, bytes[index] == 32 || bytes[index] == 9 { index += 1 }
        let valueStart = index
        var valueEnd = index
        while index < end {
            let byte = bytes[index]
            guard byte == 9 || !isControl(byte) else { return "invalidHeaderValue" }
            index += 1
            if byte != 32, byte != 9 { valueEnd = index }
        }
        return "\(name)|\(valueStart..<valueEnd)|\(bytes.count)"
    }

    @Test("field names are read word-wise as byte by byte: every byte value at every place of a name across two words")
    func fieldNamesAtEveryPlace() {
        let name = Array("x-Served-By-0123-Zz".utf8)
        for place in 0..<name.count {
            for byte in UInt8.min...UInt8.max {
                var bytes = name
                bytes[place] = byte
                bytes += Array(": v\r\n".utf8)
                #expect(Self.fieldLine(bytes) == Self.referenceFieldLine(bytes), "byte \(byte) at \(place)")
            }
        }
    }

    @Test("random field lines read the same as byte by byte, errors included")
    func fieldLinesAgreeWithReference() {
        // Token bytes, separators, whitespace, CR, controls, DEL and obs-text.
        let alphabet: [UInt8] = Array("aZ09-_!~".utf8) + [58, 58, 32, 32, 9, 13, 0, 1, 27, 31, 127, 0x80, 0x9F, 0xA0, 0xC3, 0xFF, 40, 64, 44]
        var generator = SplitMix64(state: 18)
        for _ in 0..<40_000 {
            let length = Int(generator.next() % 40)
            var bytes: [UInt8] = (0..<length).map { _ in
                let pick = generator.next()
                // Mostly letters, so that many lines are valid and reach the value.
                return pick % 3 == 0 ? alphabet[Int(pick >> 8) % alphabet.count] : UInt8(ascii: "a") + UInt8(pick >> 16 & 15)
            }
            if length > 2, generator.next() % 2 == 0 { bytes[Int(generator.next() % UInt64(length / 2 + 1))] = 58 }
            bytes += [13, 10]
            #expect(Self.fieldLine(bytes) == Self.referenceFieldLine(bytes), "\(bytes)")
        }
    }

    /// What ``HTTP1Syntax/fieldLine(_:at:)`` reads from `bytes`, in ``referenceFieldLine(_:)``'s form.
    static func fieldLine(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { raw in
            do {
                let field = try HTTP1Syntax.fieldLine(raw, at: 0)
                return "\(field.name)|\(field.value)|\(field.next)"
            } catch {
                return "\(error)"
            }
        }
    }
}
