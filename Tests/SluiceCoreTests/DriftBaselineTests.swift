import Foundation
import SluiceCore
import Testing

/// Baseline files: building from a table, the JSON round trip, which reference each test
/// gets, and malformed documents with their exact messages.
@Suite("drift baseline", .timeLimit(.minutes(10)))
struct DriftBaselineTests {
    /// 500 rows and one with two missing values.
    static func table() throws -> CSVTable {
        var text = "amount,plan,flag\n"
        for index in 0..<500 { text += "\(Double((index * 37) % 101) / 10),\(["basic", "pro", "team"][index % 3]),\(index % 4 == 0 ? 1 : 0)\n" }
        text += ",basic,\n"
        return try CSVReader.read(Array(text.utf8), file: "t.csv")
    }

    func decode(_ text: String) -> String {
        do {
            _ = try DriftBaseline(bytes: Array(text.utf8))
            return "valid"
        } catch {
            return error.description
        }
    }

    func document(_ feature: String) -> String {
        #"{"apiVersion": "sluice/v1", "kind": "Baseline", "features": {"amount": "# + feature + "}}"
    }

    @Test("build: edges and proportions of every value, the raw sample, category counts; JSON round trip")
    func buildAndRoundTrip() throws {
        let baseline = DriftBaseline.build(from: try Self.table(), source: "t.csv")
        #expect(baseline.featureNames == ["amount", "plan", "flag"])
        let amount = try #require(baseline["amount"])
        #expect(amount.count == 500 && amount.missing == 1)
        #expect(amount.edges == DriftStatistics.quantileEdges(reference: amount.sample ?? []))
        #expect(amount.proportions.count == amount.edges.count + 1)
        #expect(abs(amount.proportions.reduce(0, +) - 1) < 1e-12)
        #expect(amount.sample?.count == 500 && amount.sketch == nil)
        #expect(baseline["flag"]?.edges == [0, 1, 1] && baseline["flag"]?.proportions == [0, 0.75, 0.25, 0])
        #expect(baseline["plan"]?.counts == ["basic": 168, "pro": 167, "team": 166] && baseline["plan"]?.missing == 0)
        let text = baseline.jsonValue().serialized(indent: 2)
        let decoded = try DriftBaseline(bytes: Array(text.utf8))
        #expect(decoded == baseline)
        #expect(decoded.jsonValue().serialized(indent: 2) == text)
    }

    @Test("beyond the sample limit: a seeded subsample in file order plus a sketch of every value")
    func sampleLimit() throws {
        let table = try Self.table()
        let baseline = DriftBaseline.build(from: table, sampleLimit: 50, seed: 9)
        let amount = try #require(baseline["amount"])
        let sample = try #require(amount.sample)
        #expect(sample.count == 50)
        #expect(amount.sketch?.count == 500)
        #expect(DriftBaseline.build(from: table, sampleLimit: 50, seed: 9) == baseline, "deterministic")
        #expect(DriftBaseline.build(from: table, sampleLimit: 50, seed: 10)["amount"]?.sample != sample)
        let column = try #require(table["amount"])
        guard case .numeric(let all) = column.values else {
            Issue.record("amount is not numeric: \(column.values)")
            return
        }
        // In file order: each chosen value appears in the column after the previous one.
        var position = all.startIndex
        for value in sample {
            let found = try #require(all[position...].firstIndex(of: value))
            position = found + 1
        }
        let roundTrip = try DriftBaseline(json: try JSONParser.parse(baseline.jsonValue().serialized()))
        #expect(roundTrip["amount"]?.sketch == amount.sketch)
        #expect(DriftBaseline.build(from: table, sampleLimit: 0)["amount"]?.sample == nil)
    }

    @Test("each test gets the right reference: values for ks and wasserstein, bins for binned tests")
    func referenceForTests() throws {
        let table = try Self.table()
        let amount = try #require(DriftBaseline.build(from: table)["amount"])
        let binned = FeatureData.binned(edges: amount.edges, proportions: amount.proportions, count: 500)
        let sample = try #require(amount.sample)
        #expect(amount.data(for: .ks) == .numericSample(sample))
        #expect(amount.data(for: nil) == .numericSample(sample))
        #expect(amount.data(for: .psi) == binned && amount.data(for: .chiSquare) == binned)
        var sketchOnly = amount
        sketchOnly.sample = nil
        sketchOnly.sketch = QuantileSketch()
        #expect(sketchOnly.data(for: .wasserstein) == .numericSketch(QuantileSketch()))
        sketchOnly.sketch = nil
        #expect(sketchOnly.data(for: .ks) == binned)
        let plan = try #require(DriftBaseline.build(from: table)["plan"])
        #expect(plan.data(for: .psi) == .categorical(counts: plan.counts))
    }

    @Test("malformed baselines: the field path and what is expected")
    func malformed() {
        let numeric = #""kind": "numeric", "count": 10, "edges": [0, 5, 10], "proportions": "#
        #expect(decode(#"{"apiVersion": "sluice/v1","# + "\n  \"kind\": Baseline}") == "line 2, column 11: expected a value (object, array, string, number, true, false or null)")
        #expect(decode("[1]") == "expected a baseline document (an object with apiVersion, kind and features), found an array")
        #expect(decode(#"{"apiVersion": "sluice/v2", "kind": "Baseline", "features": {}}"#) == #"apiVersion: expected "sluice/v1", found "sluice/v2""#)
        #expect(decode(#"{"apiVersion": "sluice/v1", "kind": "Baseline"}"#) == "features: missing; expected an object of features by name")
        #expect(decode(#"{"apiVersion": "sluice/v1", "kind": "Baseline", "features": {}}"#) == "features: expected at least one feature")
        #expect(decode(#"{"apiVersion": "sluice/v1", "kind": "Baseline", "featurs": {}}"#) == "featurs: unknown field 'featurs'; did you mean 'features'? Expected: apiVersion, kind, source, rows, features")
        #expect(decode(document("{" + numeric + "[0, 0.5, 0.5]}")) == "features.amount.proportions: 3 values for 3 edges; expected 4 (underflow, one per bin between edges, overflow)")
        #expect(decode(document("{" + numeric + "[0, 0.5, 0.4, 0]}")) == "features.amount.proportions: the values add up to 0.9; expected 1")
        #expect(decode(document("{" + numeric + "[0, 1.5, -0.5, 0]}")) == "features.amount.proportions[1]: 1.5 is not a proportion; expected 0…1")
        #expect(decode(document(#"{"kind": "numeric", "count": 10, "edges": [0, 5, 4], "proportions": [0, 1, 0, 0]}"#)) == "features.amount.edges[2]: 4.0 is below the edge before it (5.0); expected ascending edges")
        #expect(decode(document(#"{"kind": "numeric", "count": 10, "edges": [3], "proportions": [0, 1]}"#)) == "features.amount.edges: 1 value; expected at least 2 (a constant feature repeats its value)")
        #expect(decode(document(#"{"kind": "numeric", "count": -1, "edges": [0, 1], "proportions": [0, 1, 0]}"#)) == "features.amount.count: expected an integer ≥ 0, found -1")
        #expect(decode(document(#"{"kind": "numeric", "edges": [0, 1], "proportions": [0, 1, 0]}"#)) == "features.amount.count: missing; expected an integer ≥ 0")
        #expect(decode(document(#"{"kind": "numeric", "count": 2, "edges": [0, "1"], "proportions": [0, 1, 0]}"#)) == #"features.amount.edges[1]: expected a finite number, found "1""#)
        #expect(decode(document(#"{"kind": "numeric", "count": 2, "edges": [0, 1], "proportions": [0, 1, 0], "sample": [1, 2, 3]}"#)) == "features.amount.sample: 3 values, more than count (2); expected at most count")
        #expect(decode(document(#"{"kind": "numeric", "count": 2, "edges": [0, 1], "proportions": [0, 1, 0], "sketch": {"k": 200, "n": 2, "nan": 0, "min": 0, "max": 1, "levels": [[0, 7]]}}"#)) == "features.amount.sketch.levels[0][1]: expected a value within min…max")
        #expect(decode(document(#"{"kind": "numeric", "count": 3, "edges": [0, 1], "proportions": [0, 1, 0], "sketch": {"k": 200, "n": 2, "nan": 0, "min": 0, "max": 1, "levels": [[0, 1]]}}"#)) == "features.amount.sketch: summarizes 2 values; expected count (3)")
        #expect(decode(document(#"{"kind": "numeric", "count": 2, "egdes": [0, 1]}"#)) == "features.amount.egdes: unknown field 'egdes'; did you mean 'edges'? Expected: kind, count, missing, edges, proportions, sample, sketch")
        #expect(decode(document(#"{"kind": "text"}"#)) == #"features.amount.kind: expected "numeric" or "categorical", found "text""#)
        #expect(decode(document(#"{"kind": "categorical", "counts": {"a": 1.5}}"#)) == "features.amount.counts.a: expected an integer ≥ 0, found 1.5")
        #expect(decode(#"{"apiVersion": "sluice/v1", "kind": "Baseline", "features": {"a b": [1]}}"#) == #"features["a b"]: expected an object, found an array"#)
        #expect(decode(document(#"{"kind": "categorical", "counts": {"a": 1}, "missing": 0}"#)) == "valid")
    }
}

/// The example baselines are what `sluice baseline build` makes of the example data.
@Suite("example baselines", .timeLimit(.minutes(10)))
struct ExampleBaselineTests {
    @Test("examples/baselines/*.json rebuild byte for byte from examples/data/*.csv", arguments: ["churn-inputs", "churn-predictions"])
    func rebuild(_ name: String) throws {
        let root = TestPaths.packageRoot
        let csv = try Data(contentsOf: root.appendingPathComponent("examples/data/\(name).csv"))
        let table = try CSVReader.read([UInt8](csv), file: "examples/data/\(name).csv")
        let built = DriftBaseline.build(from: table, source: "examples/data/\(name).csv")
        let committed = try String(contentsOf: root.appendingPathComponent("examples/baselines/\(name).json"), encoding: .utf8)
        #expect(built.serialized() == committed)
        #expect(try DriftBaseline(bytes: Array(committed.utf8)) == built)
    }
}
