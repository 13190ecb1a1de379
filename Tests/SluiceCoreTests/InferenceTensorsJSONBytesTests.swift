import SluiceCore
import Testing

/// Reading features from a body's bytes without a tree (``JSONParser/validate(_:)``,
/// ``InferenceTensors/features(inJSON:member:limit:)``, ``InferenceTensors/firstOutput(inJSON:)``,
/// ``InferenceTensors/firstFeatureValues(inJSON:member:)``)
/// answers exactly what parsing and reading the tree answers, hostile bodies included.
@Suite(.timeLimit(.minutes(10))) struct InferenceTensorsJSONBytesTests {
    /// Whether the bytes-level readers agree with the tree readers on `text`.
    private func expectAgreement(_ bytes: [UInt8], member: String = "outputs", limit: Int = 64, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let parsed = try? JSONParser.parse(bytes)
        let kind = bytes.withUnsafeBufferPointer { JSONParser.validate($0) }
        let label = String(decoding: bytes.prefix(200), as: UTF8.self)
        #expect((kind != nil) == (parsed != nil), "validate and parse disagree on \(label)", sourceLocation: sourceLocation)
        if let parsed, let kind {
            let expectedKind: JSONParser.Kind
            switch parsed {
            case .object: expectedKind = .object
            case .array: expectedKind = .array
            default: expectedKind = .scalar
            }
            #expect(kind == expectedKind, "kind of \(label)", sourceLocation: sourceLocation)
        }
        let fromBytes = bytes.withUnsafeBufferPointer { InferenceTensors.features(inJSON: $0, member: member, limit: limit) }
        let fromTree = parsed.map { InferenceTensors.features(in: $0, member: member, limit: limit) }
        #expect(fromBytes.map(Self.comparable) == fromTree.map(Self.comparable), "features of \(label)", sourceLocation: sourceLocation)
        let firstFromBytes = bytes.withUnsafeBufferPointer { InferenceTensors.firstOutput(inJSON: $0) }
        let firstFromTree = parsed.flatMap { InferenceTensors.firstOutput(in: $0) }
        #expect(firstFromBytes?.map(Value.init) == firstFromTree?.map(Value.init), "first output of \(label)", sourceLocation: sourceLocation)
        // What the prediction log keeps: the first feature's values, its name unread.
        let firstValues = bytes.withUnsafeBufferPointer { InferenceTensors.firstFeatureValues(inJSON: $0, member: member) }
        let firstValuesFromTree = parsed.map { InferenceTensors.features(in: $0, member: member, limit: 1).first?.values ?? [] }
        #expect(
            firstValues?.map(Value.init) == firstValuesFromTree?.map(Value.init), "first feature's values of \(label)",
            sourceLocation: sourceLocation)
        // As the log keeps them: a single value inline, never an array of one.
        if case .many(let values)? = bytes.withUnsafeBufferPointer({ InferenceTensors.firstFeature(inJSON: $0, member: member) }) {
            #expect(values.count != 1, "one value held in an array for \(label)", sourceLocation: sourceLocation)
        }
    }

    private func expectAgreement(_ text: String, member: String = "outputs", limit: Int = 64, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        expectAgreement(Array(text.utf8), member: member, limit: limit, sourceLocation: sourceLocation)
    }

    private struct Feature: Equatable {
        let name: String
        let values: [Value]
    }

    /// A value compared bit for bit: `-0.0` is not `0.0` here, and a NaN equals itself.
    private enum Value: Equatable {
        case bits(UInt64)
        case category(String)

        init(_ value: FeatureValue) {
            switch value {
            case .number(let number): self = .bits(number.bitPattern)
            case .category(let text): self = .category(text)
            }
        }
    }

    private static func comparable(_ features: [(name: String, values: [FeatureValue])]) -> [Feature] {
        features.map { Feature(name: $0.name, values: $0.values.map(Value.init)) }
    }

    @Test("the usual answer: the first output's values")
    func usualAnswer() {
        let answer = #"{"model_name":"bench","outputs":[{"name":"predict","shape":[1],"datatype":"FP64","data":[0.5]}]}"#
        let features = Array(answer.utf8).withUnsafeBufferPointer { InferenceTensors.features(inJSON: $0, member: "outputs") }
        #expect(features?.map(\.name) == ["predict"])
        #expect(features?.first?.values == [.number(0.5)])
        expectAgreement(answer)
        expectAgreement(answer, limit: 1)
    }

    /// Documents `JSONParser` refuses, and some it accepts that look close.
    @Test(arguments: [
        "", " ", "{", "}", "[", "]", "{]", "[}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[,1]", "{,}", "{\"a\" 1}",
        "{a:1}", "{'a':1}", "[1 2]", "tru", "true ", " nul", "nulll", "falsey", "True", "01", "-", "-0", "1.", ".5", "1e", "1e+",
        "1E-7", "-0.0e0", "1.5e308", "1e400", "-1e400", "123456789012345678901234567890", "9223372036854775807",
        "9223372036854775808", "-9223372036854775808", "+1", "0x10", "NaN", "Infinity",
        "\"", "\"abc", "\"a\\\"", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\uD834\\uDD1E\"", "\"\\uD834\"", "\"\\uD834x\"",
        "\"\\uD834\\u0041\"", "\"\\uD834\\uZZZZ\"", "\"\\uDD1E\"", "\"tab\there\"", "\"new\nline\"", "\"\\/\\b\\f\\n\\r\\t\"",
        "{\"a\":1}{", "{\"a\":1} x", "{\"a\":1}\n\t ", "[1]]", "\u{FEFF}{}",
    ])
    func hostileDocuments(text: String) {
        expectAgreement(text)
        expectAgreement("{\"outputs\":[{\"name\":\"x\",\"shape\":[1],\"data\":[" + text + "]}]}")
        expectAgreement("{\"outputs\":[{\"name\":" + text + ",\"shape\":[1],\"data\":[1]}]}")
    }

    @Test("bytes that are not UTF-8 inside strings are repaired, not refused, as the parser does")
    func invalidUTF8InStrings() {
        let bad: [UInt8] = [0xFF, 0xC3, 0x28, 0xE2, 0x82]
        expectAgreement(Array(#"{"outputs":[{"name":""#.utf8) + bad + Array(#"","shape":[1],"datatype":"BYTES","data":[""#.utf8) + bad + Array(#""]}]}"#.utf8))
        expectAgreement(Array(#"{"out"#.utf8) + bad + Array(#"puts":[]}"#.utf8))
        expectAgreement([0x00] + Array("{}".utf8))
    }

    @Test("nesting: 128 levels are JSON, 129 are not; tensors nested deeper than 16 are skipped")
    func nesting() {
        for depth in [1, 16, 17, 127, 128, 129, 130, 5000] {
            expectAgreement(String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
            expectAgreement(String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth))
            let data = String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)
            expectAgreement(#"{"outputs":[{"name":"a","shape":[1],"datatype":"FP32","data":"# + data + "}]}")
        }
    }

    /// Objects and arrays mixed at every level, and closed by the wrong bracket at the innermost,
    /// the 64th and the outermost level, are read as the parser reads them (the checker once
    /// tried kept the open containers' kinds in a 128-bit stack: its words' boundary is here).
    @Test("nesting: objects and arrays mixed, closed right and wrong, at every level up to 130")
    func mixedNesting() {
        for depth in [2, 63, 64, 65, 66, 127, 128, 129, 130] {
            for pattern in 0..<3 {
                var open = ""
                var close: [String] = []
                for level in 0..<depth {
                    let object = pattern == 0 ? level % 2 == 0 : pattern == 1 ? level % 3 == 1 : level >= 64
                    open += object ? #"{"k": "# : "[0, "
                    close.append(object ? "}" : "]")
                }
                let closing = close.reversed().joined(separator: ", 2 ")
                expectAgreement(open + "1" + closing)
                expectAgreement(open + "[] " + closing)
                expectAgreement(open + "{} " + closing)
                // One bracket swapped, at the innermost level, the 64th and the outermost.
                for swapped in [0, min(63, depth - 1), depth - 1] {
                    var wrong = Array(close.reversed())
                    wrong[swapped] = wrong[swapped] == "}" ? "]" : "}"
                    expectAgreement(open + "1" + wrong.joined(separator: ", 2 "))
                }
            }
        }
    }

    @Test("repeated names count at their first occurrence, escaped and non-ASCII names as they decode")
    func repeatedAndEscapedNames() {
        let tensor = #"{"name":"a","shape":[1],"data":[1]}"#
        let other = #"{"name":"b","shape":[1],"data":[2]}"#
        expectAgreement(#"{"outputs":["# + tensor + #"],"outputs":["# + other + "]}")
        expectAgreement(#"{"outputs":7,"outputs":["# + other + "]}")
        expectAgreement(#"{"out\u0070uts":["# + tensor + #"],"outputs":["# + other + "]}")
        expectAgreement(#"{"outputs\u0000":["# + tensor + #"],"outputs":["# + other + "]}")
        expectAgreement(#"{"outputś":["# + tensor + #"],"outputs":["# + other + "]}")
        expectAgreement(#"{"outputs":[{"name":"a","name":"z","shape":[1],"shape":[2],"data":[1],"data":[1,2]}]}"#)
        expectAgreement(#"{"outputs":[{"n\u0061me":"a","sh\u0061pe":[1],"d\u0061ta":[3],"dataty\u0070e":"BYT\u0045S"}]}"#)
        expectAgreement(#"{"outputs":[{"name":"\u00e9t\u00e9 \"q\" \\ \/","shape":[1],"datatype":"BYTES","data":["\ud83d\ude00","\ud83d"]}]}"#)
        expectAgreement(#"{"outputs":[{"name":"a","shape":[2],"datatype":"BYTES","data":["x",1.5e3]},{"name":"b","shape":[1],"datatype":"bytes","data":[1]}]}"#)
    }

    @Test(arguments: [
        #"{"name":"a","shape":[1],"data":[1]}"#, #"{"shape":[1],"data":[1]}"#, #"{"name":"a","data":[1]}"#, #"{"name":"a","shape":[1]}"#,
        #"{"name":1,"shape":[1],"data":[1]}"#, #"{"name":"a","shape":1,"data":[1]}"#, #"{"name":"a","shape":[2],"data":[1]}"#,
        #"{"name":"a","shape":[1],"data":[1,2]}"#, #"{"name":"a","shape":[1,1,1],"data":[1]}"#, #"{"name":"a","shape":[],"data":[1]}"#,
        #"{"name":"a","shape":[-1],"data":[1]}"#, #"{"name":"a","shape":[-0],"data":[]}"#, #"{"name":"a","shape":["1"],"data":[1]}"#,
        #"{"name":"a","shape":[1.0],"data":[1]}"#, #"{"name":"a","shape":[1e0],"data":[1]}"#, #"{"name":"a","shape":[1.5],"data":[1]}"#,
        #"{"name":"a","shape":[1e15],"data":[1]}"#, #"{"name":"a","shape":[null],"data":[1]}"#, #"{"name":"a","shape":[[1]],"data":[1]}"#,
        #"{"name":"a","shape":[1,0],"data":[]}"#, #"{"name":"a","shape":[0,2],"data":[]}"#, #"{"name":"a","shape":[1],"data":[null]}"#,
        #"{"name":"a","shape":[1],"data":[{"v":1}]}"#, #"{"name":"a","shape":[1],"data":1}"#, #"{"name":"a","shape":[1],"data":"s"}"#,
        #"{"name":"a","shape":[1],"data":null}"#, #"{"name":"a","shape":[1],"data":[true]}"#, #"{"name":"a","shape":[1],"data":[[[[1]]]]}"#,
        #"{"name":"a","shape":[9223372036854775807,2],"data":[1]}"#, #"{"name":"a","shape":[99999999999999999999],"data":[1]}"#,
        #"{"name":"a","shape":[1],"data":[99999999999999999999]}"#, #"{"name":"a","shape":[1],"data":[-9223372036854775808]}"#,
        #"{"name":"a","shape":[1],"datatype":"BYTES","data":[99999999999999999999]}"#, #"{"name":"a","shape":[1],"datatype":"BYTES","data":[-0.0]}"#,
        #"{"name":"a","shape":[1],"datatype":7,"data":[1]}"#, #"{"name":"m","shape":[2,3],"data":[[1,2,3],[4,5,6]]}"#,
        #"{"name":"m","shape":[2,3],"data":[1,2,3,4,5,6]}"#, #"{"name":"m","shape":[3,1],"data":[[1],[2],[3]]}"#,
        #"{"name":"m","shape":[2,3],"data":[[1,2],[3,4,5,6]]}"#, #"[1]"#, #""t""#, #"null"#, #"{}"#,
        " { \"name\" : \"w\" ,\n \"shape\" : [ 2 ,\t1 ] , \"datatype\" : \"BYTES\" , \"data\" : [ [ 1.5 ] , [ \"x\" ] ] } ",
        #"{"name":"a","shape":[2,1e0],"data":[[1],[2]]}"#, #"{"name":"a","shape":[1,-0.0],"data":[]}"#,
        #"{"name":"a","shape":[1,2,"x"],"data":[1,2]}"#, #"{"name":"a","shape":[0.5e1],"data":[1,2,3,4,5]}"#,
        #"{"nam":"a","names":"b","shape":[1],"data":[1]}"#, #"{"name":"a","shape":[1],"dat":[1],"data":[2]}"#,
    ])
    func tensors(tensor: String) {
        let ok = #"{"name":"ok","shape":[1],"datatype":"FP32","data":[7]}"#
        for member in ["inputs", "outputs"] {
            expectAgreement("{\"" + member + "\":[" + tensor + "," + ok + "]}", member: member)
            expectAgreement("{\"" + member + "\":[" + tensor + "]}", member: member)
            expectAgreement("{\"" + member + "\":[" + tensor + "," + ok + "]}", member: member, limit: 1)
        }
    }

    @Test("members that are not a list of tensors, and limits")
    func membersAndLimits() {
        for body in [#"{}"#, #"{"outputs":{}}"#, #"{"outputs":[]}"#, #"[]"#, #""text""#, #"{"outputs":null}"#, #"{"outputs":"[]"}"#] {
            expectAgreement(body)
        }
        // Items that are not objects are skipped, tensors nested in them too; a tensor's
        // members nested deeper are not its own; a top-level array's objects are no body's.
        let b = #"{"name":"b","shape":[1],"data":[2]}"#
        for body in [
            #"{"outputs":[[{"name":"a","shape":[1],"data":[1]}],"# + b + "]}",
            #"{"outputs":[1,"x",null,{},[],"# + b + "]}",
            #"{"outputs":[{"meta":{"name":"a","shape":[1],"data":[1]},"name":"b","shape":[1],"data":[2]}]}"#,
            #"[{"outputs":["# + b + "]}]",
        ] {
            expectAgreement(body)
        }
        let nested = Array(#"{"outputs":[[{"name":"a","shape":[1],"data":[1]}],"#.utf8) + Array(b.utf8) + Array("]}".utf8)
        #expect(nested.withUnsafeBufferPointer { InferenceTensors.features(inJSON: $0, member: "outputs") }?.map(\.name) == ["b"])
        let body = #"{"outputs":[{"name":"a","shape":[1],"data":[1]},{"name":"m","shape":[1,4],"data":[[1,2,3,4]]},{"name":"z","shape":[1],"data":[9]}]}"#
        for limit in [-1, 0, 1, 2, 3, 5, 6, 64] { expectAgreement(body, limit: limit) }
        let many = "{\"outputs\":[" + (0..<100).map { #"{"name":"t\#($0)","shape":[1,2],"data":[[\#($0),1]]}"# }.joined(separator: ",") + "]}"
        expectAgreement(many)
    }

    @Test("large arrays: values capped per feature, counted in full")
    func largeArrays() {
        let rows = 3000
        let data = (0..<rows * 2).map { $0 % 3 == 0 ? "\($0).5" : "\($0)" }.joined(separator: ",")
        expectAgreement(#"{"outputs":[{"name":"x","shape":["# + "\(rows)" + #",2],"datatype":"FP64","data":["# + data + "]}]}")
        expectAgreement(#"{"outputs":[{"name":"x","shape":["# + "\(rows)" + #",2],"datatype":"BYTES","data":["# + data + "]}]}")
        expectAgreement(#"{"outputs":[{"name":"x","shape":[5000],"datatype":"FP64","data":["# + (0..<5000).map(String.init).joined(separator: ",") + "]}]}")
    }

    @Test("numbers in data and shape convert bit for bit as the parser converts them")
    func numbers() {
        var random = SplitMix(seed: 1810)
        var texts = JSONNumberSamples.edgeCases
        for _ in 0..<2000 { texts.append(JSONNumberSamples.random(&random)) }
        for chunk in stride(from: 0, to: texts.count, by: 50) {
            let data = texts[chunk..<min(chunk + 50, texts.count)]
            for datatype in ["FP64", "BYTES"] {
                expectAgreement(#"{"outputs":[{"name":"n","shape":["# + "\(data.count)" + #"],"datatype":""# + datatype + #"","data":["# + data.joined(separator: ",") + "]}]}")
            }
        }
        for text in texts.prefix(400) {
            expectAgreement(#"{"outputs":[{"name":"s","shape":["# + text + #"],"data":[1]}]}"#)
            expectAgreement(#"{"outputs":[{"name":"s","shape":[1,"# + text + #"],"data":[[1]]}]}"#)
        }
    }

    /// Random edits of valid answers and requests (a fixed seed): every edit is read alike.
    @Test("random edits of valid bodies are read alike")
    func randomEdits() {
        var random = SplitMix(seed: 18)
        let seeds = [
            #"{"model_name":"m","outputs":[{"name":"p","shape":[2,2],"datatype":"FP64","data":[[0.5,1],[2e1,-3]]},{"name":"q","shape":[1],"datatype":"BYTES","data":["a\"b"]}]}"#,
            #"{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP64","data":[120.5,0.3,14,2.5]}],"outputs":[{"name":"o","shape":[1],"data":[true]}]}"#,
            // Pretty-printed: whitespace of every kind between all tokens.
            "{ \"model_name\" :\t\"m\" ,\r\n \"outputs\" : [ {\n  \"name\" : \"p\" , \"shape\" : [ 1 , 2 ] ,\n  \"datatype\" : \"BYTES\" ,"
                + " \"data\" : [ [ \"x\" , \"y\" ] ] } , { } , [ ] , null ] , \"inputs\" : [ ] }\n",
        ]
        let alphabet = Array("{}[],:\"\\ \t\n\r\u{0B}\u{00}0123456789.eE-+tfnul\\u".utf8)
        for seed in seeds {
            // Unedited, each seed has a tensor to read where the edits start from.
            let read = Array(seed.utf8).withUnsafeBufferPointer { InferenceTensors.features(inJSON: $0, member: "outputs") }
            #expect(read?.isEmpty == false, "nothing read from \(seed)")
            expectAgreement(seed)
        }
        for _ in 0..<3000 {
            let bytes = RandomEdits.edit(Array(seeds[Int(random.next() % UInt64(seeds.count))].utf8), alphabet: alphabet, &random)
            expectAgreement(bytes)
            expectAgreement(bytes, member: "inputs", limit: 2)
        }
    }

    /// The check reads a string's plain bytes eight at a time: a quote, a backslash or a
    /// control character at any offset in or across those words ends the plain run exactly
    /// there, and the bytes next to the special ones (space, DEL, non-ASCII) do not.
    @Test("a special byte at every offset of a long string is found where it is")
    func stringBytesAtEveryOffset() {
        let specials: [[UInt8]] = [
            [0x22], [0x5C], [0x5C, 0x22], [0x5C, 0x5C], [0x5C, 0x75, 0x30, 0x30, 0x34, 0x31], [0x5C, 0x78],
            [0x00], [0x0A], [0x1F], [0x20], [0x21], [0x23], [0x5B], [0x5D], [0x7F], [0x80], [0xA2], [0xDC], [0xFF],
        ]
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 24] {
            for offset in 0...length {
                for special in specials {
                    var text = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    text.insert(contentsOf: special, at: offset)
                    // The string as a member name and as a value, with bytes after its end
                    // (a word read past the closing quote) and without (the document ends there).
                    expectAgreement(Array(#"{""#.utf8) + text + Array(#"":1,"outputs":[]}"#.utf8))
                    expectAgreement(Array(#"{"k":""#.utf8) + text + Array(#""}"#.utf8))
                    expectAgreement(Array(#"""#.utf8) + text + Array(#"""#.utf8))
                    expectAgreement(Array(#"""#.utf8) + text)
                }
            }
        }
    }
}
