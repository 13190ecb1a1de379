import Testing

@testable import SluiceCore

/// The one-value answer's short path (``InferenceTensors/singleValueFeature(inJSON:member:)``)
/// answers what the general reader answers wherever it decides, and decides for the usual
/// answers, so that the gateway's prediction log takes it.
@Suite(.timeLimit(.minutes(10))) struct InferenceTensorsSingleValueTests {
    /// The short path's answer for `bytes`: nil when it leaves them to the general reader.
    private static func shortPath(_ bytes: [UInt8], member: String = "outputs") -> FeatureValueList?? {
        bytes.withUnsafeBufferPointer { json in
            Array(member.utf8).withUnsafeBufferPointer { InferenceTensors.singleValueFeature(inJSON: json, member: $0) }
        }
    }

    private static func general(_ bytes: [UInt8], member: String = "outputs") -> FeatureValueList? {
        bytes.withUnsafeBufferPointer { InferenceTensors.generalFirstFeature(inJSON: $0, member: member) }
    }

    /// Bit for bit: `-0.0` is not `0.0`, and a NaN equals itself.
    private static func same(_ one: FeatureValueList?, _ other: FeatureValueList?) -> Bool {
        func bits(_ list: FeatureValueList?) -> [String]? {
            list.map { $0.values.map { value in
                switch value {
                case .number(let number): "n\(number.bitPattern)"
                case .category(let text): "c\(text)"
                }
            } }
        }
        return bits(one) == bits(other)
    }

    /// Where the short path decides, it answers as the general reader does.
    private func expectAgreement(_ bytes: [UInt8], member: String = "outputs", sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        guard let decided = Self.shortPath(bytes, member: member) else { return }
        #expect(
            Self.same(decided, Self.general(bytes, member: member)), "\(String(decoding: bytes.prefix(200), as: UTF8.self))",
            sourceLocation: sourceLocation)
    }

    static let usual = [
        #"{"model_name":"bench","outputs":[{"name":"predict","shape":[1],"datatype":"FP64","data":[0.5]}]}"#,
        #"{"model_name":"fraud","model_version":"v2","id":"a1","parameters":{"content_type":"np"},"outputs":[{"name":"p","shape":[1,1],"datatype":"FP32","parameters":{},"data":[[-3e-2]]}]}"#,
        #"{"outputs":[{"data":[7],"shape":[1],"name":"label"}],"model_name":"m"}"#,
        "{ \"outputs\" : [ { \"name\" : \"p\" , \"shape\" : [ 1 , 1 ] , \"datatype\" : \"INT64\" , \"data\" : [ [ 12 ] ] } ] }\n",
    ]

    @Test("the usual one-value answers are decided, with the general reader's value")
    func usualAnswers() throws {
        for text in Self.usual {
            let bytes = Array(text.utf8)
            let decided = try #require(Self.shortPath(bytes), "left to the general reader: \(text)")
            #expect(decided?.count == 1, "\(text)")
            #expect(Self.same(decided, Self.general(bytes)), "\(text)")
        }
        #expect(Self.shortPath(Array(Self.usual[0].utf8)) == .some(.one(.number(0.5))))
    }

    @Test(arguments: [
        // Left to the general reader: more than one value, BYTES, other shapes, escaped names,
        // a first item that is not a tensor.
        #"{"outputs":[{"name":"p","shape":[2],"data":[1,2]}]}"#,
        #"{"outputs":[{"name":"p","shape":[1],"datatype":"BYTES","data":["yes"]}]}"#,
        #"{"outputs":[{"name":"p","shape":[1],"datatype":"BYTES","data":[1]}]}"#,
        #"{"outputs":[{"name":"p","shape":[1],"datatype":"\u0042YTES","data":[1]}]}"#,
        #"{"outputs":[{"name":"p","shape":[1.0],"data":[1]}]}"#,
        #"{"outputs":[{"name":"p","shape":[1,1,1],"data":[[[1]]]}]}"#,
        #"{"outputs":[{"name":"p","shape":[1],"data":[true]}]}"#,
        #"{"outputs":[{"name":"p","shape":[1],"data":[1,2]}]}"#,
        #"{"outputs":[{"name":"p","shape":[1],"d\u0061ta":[1],"data":[2]}]}"#,
        #"{"outp\u0075ts":[{"name":"p","shape":[1],"data":[1]}],"outputs":[]}"#,
        #"{"outputs":[null,{"name":"p","shape":[1],"data":[1]}]}"#,
        #"{"outputs":[{"name":1,"shape":[1],"data":[1]},{"name":"p","shape":[1],"data":[2]}]}"#,
    ])
    func leftToTheGeneralReader(text: String) {
        #expect(Self.shortPath(Array(text.utf8)) == nil)
    }

    @Test(arguments: [
        // Decided at once: not JSON, not an object, no such member, an empty or non-array member.
        (#"{"outputs":[{"name":"p","shape":[1],"data":[1]}]"#, nil),
        (#"[{"name":"p","shape":[1],"data":[1]}]"#, FeatureValueList.many([])),
        (#"{"inputs":[{"name":"p","shape":[1],"data":[1]}]}"#, .many([])),
        (#"{"outputs":[]}"#, .many([])),
        (#"{"outputs":{"name":"p"}}"#, .many([])),
        (#"{"outputs":[{"name":"p","shape":[1],"data":[-0.0]}],"outputs":[]}"#, .one(.number(-0.0))),
        (#"{"outputs":[{"name":"p","shape":[1],"datatype":7,"data":[1e400]}]}"#, .one(.number(.infinity))),
    ] as [(String, FeatureValueList?)])
    func decidedAtOnce(text: String, expected: FeatureValueList?) throws {
        let bytes = Array(text.utf8)
        let decided = try #require(Self.shortPath(bytes), "left to the general reader")
        #expect(Self.same(decided, expected))
        #expect(Self.same(decided, Self.general(bytes)))
    }

    /// Random edits of one-value answers (a fixed seed): wherever the short path decides, it
    /// answers as the general reader does, and it decides for a good share of them.
    @Test("random edits of one-value answers are read alike")
    func randomEdits() {
        var random = SplitMix(seed: 61)
        let alphabet = Array("{}[],:\"\\ \t\n01-.eE+9tfnulBYTES".utf8)
        var decided = 0
        for index in 0..<6000 {
            let bytes = RandomEdits.edit(Array(Self.usual[index % Self.usual.count].utf8), alphabet: alphabet, &random)
            if Self.shortPath(bytes) != nil { decided += 1 }
            expectAgreement(bytes)
        }
        #expect(decided > 3000, "the short path decided \(decided) of 6000")
    }
}
