import Foundation
import SluiceTestSupport
import Testing

/// `sluice drift` and `sluice baseline build` end to end: the real binary on CSV files.
@Suite(.timeLimit(.minutes(10))) struct DriftCommandTests {
    static let fixtures = SluiceBinary.packageRoot.appendingPathComponent("Tests/sluiceTests/Fixtures/drift")

    /// `count` rows of `amount` (about normal, mean 50 + shift, sd 10), `age` (18…79) and
    /// `plan`, from a fixed generator so every run sees the same files.
    static func csv(rows count: Int, seed: UInt64, shift: Double = 0, proShare: Double = 0.3) -> String {
        var state = seed
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        var text = "amount,age,plan\n"
        for _ in 0..<count {
            let amount = 50 + shift + ((0..<6).reduce(0) { sum, _ in sum + uniform() } - 3) * 14.14
            let age = 18 + Int(uniform() * 62)
            let plan = uniform() < proShare ? "pro" : "basic"
            text += "\((amount * 1000).rounded() / 1000),\(age),\(plan)\n"
        }
        return text
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func feature(_ report: [String: Any], _ name: String) throws -> [String: Any] {
        let features = try #require(report["features"] as? [[String: Any]])
        return try #require(features.first { $0["feature"] as? String == name })
    }

    func number(_ value: Any?) -> Double { (value as? NSNumber)?.doubleValue ?? .nan }

    @Test("numbers agree with scipy (golden.json from generate_golden.py)")
    func matchesScipy() async throws {
        let golden = try json(String(contentsOf: Self.fixtures.appendingPathComponent("golden.json"), encoding: .utf8))
        let amountGolden = try #require(golden["amount"] as? [String: Any])
        let tierGolden = try #require(golden["tier"] as? [String: Any])
        let auto = try await SluiceBinary.run(["drift", "reference.csv", "current.csv", "--format", "json", "--correction", "none"], in: Self.fixtures)
        #expect(auto.status == 1, "\(auto.stderr)")
        let report = try json(auto.stdout)
        let amount = try feature(report, "amount")
        #expect(amount["test"] as? String == "ks")
        #expect(abs(number(amount["statistic"]) - number(amountGolden["ks_statistic"])) < 1e-12)
        #expect(abs(number(amount["pValue"]) - number(amountGolden["ks_pvalue"])) < 1e-9 * number(amountGolden["ks_pvalue"]))
        let tier = try feature(report, "tier")
        #expect(tier["test"] as? String == "chi_square")
        #expect(abs(number(tier["statistic"]) - number(tierGolden["chi_square_statistic"])) < 1e-9)
        #expect(abs(number(tier["pValue"]) - number(tierGolden["chi_square_pvalue"])) < 1e-9 * number(tierGolden["chi_square_pvalue"]))
        for (test, key) in [("psi", "psi"), ("wasserstein", "wasserstein")] {
            let run = try await SluiceBinary.run(["drift", "reference.csv", "current.csv", "--format", "json", "--test", test, "--columns", "amount"], in: Self.fixtures)
            let value = number(try feature(try json(run.stdout), "amount")["value"])
            #expect(abs(value - number(amountGolden[key])) < 1e-12, "\(test)")
        }
    }

    @Test("shifted data exits 1 and names the drifted column; the same distribution exits 0")
    func shiftedAndSame() async throws {
        let tree = try ManifestTree()
        try tree.write("reference.csv", Self.csv(rows: 2000, seed: 1))
        try tree.write("same.csv", Self.csv(rows: 1500, seed: 2))
        try tree.write("shifted.csv", Self.csv(rows: 1500, seed: 3, shift: 4))
        let shifted = try await SluiceBinary.run(["drift", "reference.csv", "shifted.csv"], in: tree.url)
        #expect(shifted.status == 1, "\(shifted.stdout)\(shifted.stderr)")
        let lines = shifted.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("FEATURE  TEST        STATISTIC  P-VALUE") == true)
        #expect(lines.count == 5)
        #expect(lines[1].hasPrefix("amount   ks  ") && lines[1].contains("  drift  "))
        #expect(lines.last == "drift: 1 of 3 features drifted (amount); correction bh")
        let same = try await SluiceBinary.run(["drift", "reference.csv", "same.csv"], in: tree.url)
        #expect(same.status == 0, "\(same.stdout)\(same.stderr)")
        #expect(same.stdout.hasSuffix("no drift in 3 features; correction bh\n"))
        let plan = try await SluiceBinary.run(["drift", "reference.csv", "shifted.csv", "--test", "chisquare", "--columns", "plan"], in: tree.url)
        #expect(plan.status == 0, "the alias is accepted and plan did not move: \(plan.stderr)")
    }

    @Test("baseline build, then drift against the baseline; rebuilding refuses to overwrite other content")
    func baselineThenDrift() async throws {
        let tree = try ManifestTree()
        try tree.write("train.csv", Self.csv(rows: 3000, seed: 4))
        try tree.write("same.csv", Self.csv(rows: 1500, seed: 5))
        try tree.write("shifted.csv", Self.csv(rows: 1500, seed: 6, shift: 4, proShare: 0.5))
        let build = try await SluiceBinary.run(["baseline", "build", "train.csv", "-o", "baselines/train.json", "--sample-limit", "1000"], in: tree.url)
        #expect(build.status == 0, "\(build.stderr)")
        #expect(build.stdout.hasPrefix("wrote baselines/train.json: 3 features from train.csv (3000 rows)\n"))
        #expect(build.stdout.contains("amount  numeric      3000 values, 10 bins + under/overflow, a sample of 1000, a sketch of every value"))
        let document = try json(String(contentsOf: tree.url.appendingPathComponent("baselines/train.json"), encoding: .utf8))
        #expect(document["apiVersion"] as? String == "sluice/v1" && document["kind"] as? String == "Baseline")
        let features = try #require(document["features"] as? [String: Any])
        #expect(Set(features.keys) == ["amount", "age", "plan"])

        let drifted = try await SluiceBinary.run(["drift", "baselines/train.json", "shifted.csv", "--format", "json"], in: tree.url)
        #expect(drifted.status == 1, "\(drifted.stderr)")
        #expect(try json(drifted.stdout)["driftedFeatures"] as? [String] == ["amount", "plan"])
        #expect(try feature(try json(drifted.stdout), "amount")["referenceCount"] as? Int == 1000, "ks uses the sample")
        let psi = try await SluiceBinary.run(["drift", "baselines/train.json", "shifted.csv", "--test", "psi", "--format", "json"], in: tree.url)
        #expect(try feature(try json(psi.stdout), "amount")["referenceCount"] as? Int == 3000, "psi uses the bins of every value")
        let same = try await SluiceBinary.run(["drift", "baselines/train.json", "same.csv"], in: tree.url)
        #expect(same.status == 0, "\(same.stdout)\(same.stderr)")

        let again = try await SluiceBinary.run(["baseline", "build", "train.csv", "-o", "baselines/train.json", "--sample-limit", "1000"], in: tree.url)
        #expect(again.status == 0 && again.stdout.hasPrefix("unchanged baselines/train.json"))
        let other = try await SluiceBinary.run(["baseline", "build", "train.csv", "-o", "baselines/train.json", "--bins", "5"], in: tree.url)
        #expect(other.status == 2)
        #expect(other.stderr == "sluice baseline build: baselines/train.json exists with other content; pass --force to replace it\n")
        let forced = try await SluiceBinary.run(["baseline", "build", "train.csv", "-o", "baselines/train.json", "--bins", "5", "--force"], in: tree.url)
        #expect(forced.status == 0 && forced.stdout.hasPrefix("wrote "))
    }

    @Test("bad input exits 2 with the file, line and column, or the field")
    func badInput() async throws {
        let tree = try ManifestTree()
        try tree.write("reference.csv", Self.csv(rows: 200, seed: 7))
        try tree.write("ragged.csv", "amount,age,plan\n1,2,pro\n3,4\n")
        try tree.write("quote.csv", "amount,age,plan\n1,2,\"pro\n")
        try tree.write("bad.json", #"{"apiVersion": "sluice/v1", "kind": "Baseline", "features": {"amount": {"kind": "numeric", "count": 2, "edges": [0, 1], "proportions": [1]}}}"#)
        try tree.write("broken.json", "{\"apiVersion\": \n  nope}")
        let ragged = try await SluiceBinary.run(["drift", "reference.csv", "ragged.csv"], in: tree.url)
        #expect(ragged.status == 2)
        #expect(ragged.stderr == "sluice drift: ragged.csv:3:4: 2 fields; the header has 3\n")
        #expect(ragged.stdout.isEmpty)
        let quote = try await SluiceBinary.run(["drift", "reference.csv", "quote.csv"], in: tree.url)
        #expect(quote.stderr == "sluice drift: quote.csv:2:5: unterminated quoted field: the quote opened here is never closed\n")
        let bad = try await SluiceBinary.run(["drift", "bad.json", "reference.csv"], in: tree.url)
        #expect(bad.status == 2)
        #expect(bad.stderr == "sluice drift: bad.json: features.amount.proportions: 1 values for 2 edges; expected 3 (underflow, one per bin between edges, overflow)\n")
        let broken = try await SluiceBinary.run(["drift", "broken.json", "reference.csv"], in: tree.url)
        #expect(broken.stderr == "sluice drift: broken.json:2:3: expected 'null'\n")
        // Both files are read at the same time; when both are bad, the reference is named, as before.
        let bothBad = try await SluiceBinary.run(["drift", "quote.csv", "ragged.csv"], in: tree.url)
        #expect(bothBad.status == 2 && bothBad.stderr == "sluice drift: quote.csv:2:5: unterminated quoted field: the quote opened here is never closed\n")
        let currentBaseline = try await SluiceBinary.run(["drift", "reference.csv", "bad.json"], in: tree.url)
        #expect(currentBaseline.status == 2 && currentBaseline.stderr == "sluice drift: bad.json: CURRENT must be a CSV file (a baseline can only be the reference)\n")
        let missing = try await SluiceBinary.run(["drift", "nowhere.csv", "reference.csv"], in: tree.url)
        #expect(missing.status == 2 && missing.stderr == "sluice drift: nowhere.csv: no such file\n")
        let test = try await SluiceBinary.run(["drift", "reference.csv", "reference.csv", "--test", "kss"], in: tree.url)
        #expect(test.status == 2 && test.stderr.hasPrefix("sluice drift: --test: expected auto, psi, ks, chi_square"))
        let ks = try await SluiceBinary.run(["drift", "reference.csv", "reference.csv", "--test", "ks"], in: tree.url)
        #expect(ks.status == 2, "ks cannot score the categorical plan column")
        #expect(ks.stderr.contains("feature 'plan': ks needs numbers"))
        let build = try await SluiceBinary.run(["baseline", "build", "ragged.csv"], in: tree.url)
        #expect(build.status == 2 && build.stderr == "sluice baseline build: ragged.csv:3:4: 2 fields; the header has 3\n")
    }

    @Test("files larger than the read window: errors and a late categorical column after released pages; empty files")
    func largeAndEmptyFiles() async throws {
        let tree = try ManifestTree()
        // About 6 MB: past the 4 MiB the reader pages in ahead, so the start has been released.
        let rows = (0..<400_000).map { "\($0).5,\($0 % 977)\n" }.joined()
        try tree.write("big.csv", "x,y\n" + rows + "1\n")
        try tree.write("late.csv", "x,y\r\n" + rows + "3.5,n/a\n")
        try tree.write("empty.csv", "")
        try tree.write("header.csv", "x,y\n")
        let big = try await SluiceBinary.run(["drift", "late.csv", "big.csv"], in: tree.url)
        #expect(big.status == 2 && big.stderr == "sluice drift: big.csv:400002:2: 1 field; the header has 2\n")
        let late = try await SluiceBinary.run(["drift", "late.csv", "late.csv", "--format", "json", "--columns", "y"], in: tree.url)
        #expect(late.status == 0, "\(late.stderr)")
        let y = try feature(try json(late.stdout), "y")
        #expect(y["test"] as? String == "chi_square" && y["referenceCount"] as? Int == 400_001)
        let empty = try await SluiceBinary.run(["drift", "late.csv", "empty.csv"], in: tree.url)
        #expect(empty.status == 2 && empty.stderr == "sluice drift: empty.csv:1:1: the file is empty; expected a header row of column names\n")
        let header = try await SluiceBinary.run(["drift", "late.csv", "header.csv", "--columns", "y"], in: tree.url)
        #expect(header.status == 3, "no values is too little data: \(header.stdout)\(header.stderr)")
    }

    @Test("json format: stable keys, columns on one side only, too little data exits 3")
    func jsonAndInsufficientData() async throws {
        let tree = try ManifestTree()
        try tree.write("reference.csv", Self.csv(rows: 500, seed: 8))
        try tree.write("current.csv", Self.csv(rows: 50, seed: 9).replacingOccurrences(of: "amount,age,plan", with: "amount,age,tier"))
        let run = try await SluiceBinary.run(["drift", "reference.csv", "current.csv", "--format", "json"], in: tree.url)
        #expect(run.status == 3, "\(run.stderr)")
        let report = try json(run.stdout)
        #expect(report["verdict"] as? String == "insufficient_data")
        #expect(report["onlyInReference"] as? [String] == ["plan"] && report["onlyInCurrent"] as? [String] == ["tier"])
        let keys = ["reference", "current", "test", "minCount", "verdict", "drifted", "correction", "shareThreshold", "share",
                    "driftedFeatures", "judged", "features", "onlyInReference", "onlyInCurrent", "errors"]
        #expect(Set(report.keys) == Set(keys))
        #expect(run.stdout.hasPrefix("{\n  \"reference\": \"reference.csv\",\n  \"current\": \"current.csv\",\n  \"test\": \"auto\","))
        let amount = try feature(report, "amount")
        #expect(amount["verdict"] as? String == "insufficient_data")
        #expect(amount["judgedBy"] as? String == "insufficient data: the current data has 50 values; at least 100 needed")
        let text = try await SluiceBinary.run(["drift", "reference.csv", "current.csv"], in: tree.url)
        #expect(text.status == 3)
        #expect(text.stdout.contains("only in reference.csv (not compared): plan\nonly in current.csv (not compared): tier\n"))
        #expect(text.stdout.hasSuffix("insufficient data: 2 of 2 features had fewer than 100 values (amount, age); no drift in the others; correction bh\n"))
        let lower = try await SluiceBinary.run(["drift", "reference.csv", "current.csv", "--min-count", "50"], in: tree.url)
        #expect(lower.status == 0, "\(lower.stdout)")
    }
}
