import SluiceCore
import Testing

/// Features read from Open Inference Protocol (V2) bodies.
@Suite(.timeLimit(.minutes(10))) struct InferenceTensorsTests {
    private func features(_ json: String, member: String = "inputs", limit: Int = 64) throws -> [(name: String, values: [FeatureValue])] {
        InferenceTensors.features(in: try JSONParser.parse(json), member: member, limit: limit)
    }

    @Test func oneDimensionalTensorIsOneFeature() throws {
        let result = try features(#"{"inputs":[{"name":"age","shape":[3],"datatype":"INT64","data":[31,42,57]}]}"#)
        #expect(result.count == 1)
        #expect(result.first?.name == "age")
        #expect(result.first?.values == [.number(31), .number(42), .number(57)])
    }

    @Test func columnTensorIsOneFeature() throws {
        let result = try features(#"{"inputs":[{"name":"score","shape":[2,1],"datatype":"FP32","data":[[0.5],[1.5]]}]}"#)
        #expect(result.map(\.name) == ["score"])
        #expect(result.first?.values == [.number(0.5), .number(1.5)])
    }

    /// Column j holds the values at positions i*F+j, whether data is flat or nested.
    @Test(arguments: [
        "[1,2,3,4,5,6]",
        "[[1,2,3],[4,5,6]]",
    ])
    func matrixSplitsIntoColumns(data: String) throws {
        let result = try features(#"{"inputs":[{"name":"x","shape":[2,3],"datatype":"FP64","data":"# + data + "}]}")
        #expect(result.map(\.name) == ["x[0]", "x[1]", "x[2]"])
        #expect(result.map(\.values) == [[.number(1), .number(4)], [.number(2), .number(5)], [.number(3), .number(6)]])
    }

    @Test func bytesAndBooleansAreCategories() throws {
        let result = try features(
            #"""
            {"inputs":[
              {"name":"city","shape":[2],"datatype":"BYTES","data":["Lyon","Oslo"]},
              {"name":"code","shape":[1],"datatype":"BYTES","data":[75]},
              {"name":"member","shape":[2],"datatype":"BOOL","data":[true,false]}
            ]}
            """#)
        #expect(result.map(\.name) == ["city", "code", "member"])
        #expect(result[0].values == [.category("Lyon"), .category("Oslo")])
        #expect(result[1].values == [.category("75")])
        #expect(result[2].values == [.category("true"), .category("false")])
    }

    @Test func readsResponseOutputs() throws {
        let body = #"{"model_name":"m","outputs":[{"name":"predict","shape":[2],"datatype":"FP32","data":[0.1,0.9]}]}"#
        #expect(try features(body).isEmpty)
        #expect(try features(body, member: "outputs").first?.values == [.number(0.1), .number(0.9)])
    }

    @Test(arguments: [
        #"{"shape":[1],"data":[1]}"#,  // no name
        #"{"name":"a","data":[1]}"#,  // no shape
        #"{"name":"a","shape":[1]}"#,  // no data
        #"{"name":"a","shape":[2],"data":[1]}"#,  // too few elements
        #"{"name":"a","shape":[1],"data":[1,2]}"#,  // too many elements
        #"{"name":"a","shape":[1,1,1],"data":[1]}"#,  // rank 3
        #"{"name":"a","shape":[],"data":[1]}"#,  // rank 0
        #"{"name":"a","shape":[-1],"data":[1]}"#,  // negative dimension
        #"{"name":"a","shape":["1"],"data":[1]}"#,  // not a number
        #"{"name":"a","shape":[1,0],"data":[]}"#,  // no columns
        #"{"name":"a","shape":[1],"data":[null]}"#,  // null element
        #"{"name":"a","shape":[1],"data":[{"v":1}]}"#,  // object element
        #"{"name":"a","shape":[9223372036854775807,2],"data":[1]}"#,  // overflowing size
        #"[1]"#,  // not an object
    ])
    func malformedTensorIsSkipped(tensor: String) throws {
        let body = #"{"inputs":["# + tensor + #",{"name":"ok","shape":[1],"datatype":"FP32","data":[7]}]}"#
        let result = try features(body)
        #expect(result.map(\.name) == ["ok"])
    }

    @Test(arguments: [#"{}"#, #"{"inputs":{}}"#, #"{"inputs":[]}"#, #"[]"#, #""text""#])
    func bodyWithoutTensorsHasNoFeatures(body: String) throws {
        #expect(try features(body).isEmpty)
    }

    @Test func emptyBatchIsAFeatureWithoutValues() throws {
        let result = try features(#"{"inputs":[{"name":"a","shape":[0],"datatype":"FP32","data":[]}]}"#)
        #expect(result.map(\.name) == ["a"])
        #expect(result.first?.values.isEmpty == true)
    }

    @Test func stopsAtTheLimitAcrossTensors() throws {
        let body = #"""
            {"inputs":[
              {"name":"a","shape":[1],"datatype":"FP32","data":[1]},
              {"name":"m","shape":[1,4],"datatype":"FP32","data":[[1,2,3,4]]},
              {"name":"z","shape":[1],"datatype":"FP32","data":[9]}
            ]}
            """#
        #expect(try features(body, limit: 3).map(\.name) == ["a", "m[0]", "m[1]"])
        #expect(try features(body, limit: 0).isEmpty)
        #expect(try features(body).map(\.name) == ["a", "m[0]", "m[1]", "m[2]", "m[3]", "z"])
    }

    @Test func capsValuesPerFeature() throws {
        let rows = 3000
        let data = (0..<rows * 2).map(String.init).joined(separator: ",")
        let body = #"{"inputs":[{"name":"x","shape":["# + "\(rows)" + #",2],"datatype":"INT32","data":["# + data + "]}]}"
        let result = try features(body)
        #expect(result.count == 2)
        #expect(result.allSatisfy { $0.values.count == InferenceTensors.maximumValuesPerFeature })
        #expect(result[1].values.first == .number(1))
        #expect(result[1].values.last == .number(Double(2 * 1023 + 1)))
    }

    /// Nesting deeper than any tabular tensor is rejected, not recursed into without end.
    @Test func deepNestingIsSkipped() throws {
        let depth = 100
        let data = String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)
        let body = #"{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":"# + data + "}]}"
        #expect(try features(body).isEmpty)
    }
}
