import Foundation
import SluiceCore
import Testing

/// Each format's Swift check and its exported JSON Schema pattern accept the same strings.
@Suite(.timeLimit(.minutes(10))) struct StringFormatTests {
    static let samples: [StringFormat: [String]] = [
        .dnsLabel: ["fraud", "fraud-detector", "a", "0x", "Fraud", "-a", "a-", "a_b", "a.b", String(repeating: "a", count: 63), String(repeating: "a", count: 64), ""],
        .versionName: ["v1", "v2.1", "2024.01.05", "v2.", ".v2", "V2", "v_2", String(repeating: "v", count: 64)],
        .duration: ["30s", "5m", "1h30m", "250ms", "1h2m3s4ms", "10", "1d", "m", "5 m", "1.5h"],
        .digest: [
            "sha256:" + String(repeating: "a", count: 64), "sha512:" + String(repeating: "0", count: 128),
            "sha256:" + String(repeating: "A", count: 64), "sha256:abc", "md5:" + String(repeating: "a", count: 32), "abc",
        ],
        .artifact: [
            "models/a.json", "./models/a.json", "s3://bucket/model", "hf://org/model", "https://x/y", "../a", "models/../a",
            "/etc/passwd", "~/a", "file:///etc/passwd", "FILE:x", "a\\b", "a..b/c", "..", "models/..",
        ],
        .repositoryPath: ["baselines/a.json", "s3://b/a", "a:b", "../a", "/a", "a/b/../../c", "ok..json"],
        .labelKey: ["team", "sluice.dev/team", "a_b", "Team", "-a", "x/y/z", "example.com/", "/a"],
        .labelValue: ["", "risk", "Risk_1", "-a", "a b"],
        .headerName: ["x-user-id", "X-User", "-x", "x y", "x_y"],
        .featureName: ["amount", "Amount (EUR)", "", "a\u{1}b"],
        .cronSchedule: ["0 22 * * FRI", "*/15 9-17 * * MON-FRI", "@daily", " 0 0 1 1 * ", "0 0 32 * *", "* * * *", "0 * * * * *", "", "0 0\n* * *"],
        .timeZone: ["UTC", "Europe/Berlin", "Etc/GMT-5", "America/Argentina/Buenos_Aires", "europe/berlin", "", "../etc", "Europe Berlin"],
    ]

    @Test(arguments: StringFormat.allCases)
    func swiftCheckAndPatternAgree(format: StringFormat) throws {
        let regex = try NSRegularExpression(pattern: format.pattern)
        for sample in try #require(Self.samples[format]) {
            let range = NSRange(sample.startIndex..., in: sample)
            let patternAccepts = regex.firstMatch(in: sample, range: range) != nil
            let swiftAccepts = format.problem(in: sample) == nil
            if format.patternIsExact {
                #expect(patternAccepts == swiftAccepts, "\(format) on \"\(sample)\": pattern \(patternAccepts), check \(swiftAccepts)")
            } else {
                // A looser pattern still never flags a valid value.
                #expect(patternAccepts || !swiftAccepts, "\(format) on \"\(sample)\": the pattern refuses a valid value")
            }
        }
    }

    @Test func durationsParseAndPrintCanonically() {
        #expect(Duration.parse("1h30m").value == Duration(milliseconds: 5_400_000))
        #expect(Duration.parse("90m").value?.description == "1h30m")
        #expect(Duration.parse("250ms").value?.milliseconds == 250)
        #expect(Duration.parse("0s").error == "'0s' is zero; a duration must be positive")
        #expect(Duration.parse("5s5s").error == "'5s5s' names the unit 's' twice")
        #expect(Duration.parse("99999999999h").error == "'99999999999h' is longer than a year")
        #expect(Duration.parse("30").error == "'30' has a number without a unit; write e.g. 30s")
    }

    @Test func digestsNameTheirProblem() {
        #expect(Digest.parse("sha256:" + String(repeating: "f", count: 64)).value?.algorithm == .sha256)
        #expect(Digest.parse("sha256:abc").error == "a sha256 digest has 64 hex digits; this one has 3")
        #expect(Digest.parse("sha1:abc").error == "the digest algorithm 'sha1' is not supported; use sha256 or sha512")
        #expect(Digest.parse("sha256:" + String(repeating: "F", count: 64)).error == "the digest must be lowercase hex")
    }

    @Test func pathsNeverLeaveTheRepository() {
        for escaping in ["../x", "a/../../x", "/abs", "~/x", "file:///x", "a\\..\\b", "a/.."] {
            #expect(PathRules.artifactProblem(escaping) != nil, "\(escaping)")
        }
        #expect(PathRules.normalizedSegments("./models//a.json") == ["models", "a.json"])
        #expect(PathRules.artifactProblem("gs://bucket/model.bst") == nil)
    }
}

/// Plain scalars resolve under the YAML 1.2 core schema.
@Suite(.timeLimit(.minutes(10))) struct YAMLValueTests {
    @Test func coreSchemaResolution() {
        #expect(YAMLValue.resolvePlain("10") == .int(10))
        #expect(YAMLValue.resolvePlain("-3") == .int(-3))
        #expect(YAMLValue.resolvePlain("0x1F") == .int(31))
        #expect(YAMLValue.resolvePlain("0o17") == .int(15))
        #expect(YAMLValue.resolvePlain("1.5") == .float(1.5))
        #expect(YAMLValue.resolvePlain("1e3") == .float(1000))
        #expect(YAMLValue.resolvePlain(".5") == .float(0.5))
        #expect(YAMLValue.resolvePlain("~") == .null)
        #expect(YAMLValue.resolvePlain("") == .null)
        #expect(YAMLValue.resolvePlain("true") == .bool(true))
        // YAML 1.1 booleans are strings in 1.2: the "Norway problem" does not exist here.
        #expect(YAMLValue.resolvePlain("no") == .string("no"))
        #expect(YAMLValue.resolvePlain("on") == .string("on"))
        #expect(YAMLValue.resolvePlain("v2.1") == .string("v2.1"))
        #expect(YAMLValue.resolvePlain("1.2.3") == .string("1.2.3"))
        #expect(YAMLValue.resolvePlain("10%") == .string("10%"))
        #expect(YAMLValue.resolvePlain("99999999999999999999") == .float(1e20))
    }

    @Test func quotedScalarsStayStrings() {
        #expect(YAMLScalar(text: "10", style: .doubleQuoted).value == .string("10"))
        #expect(YAMLScalar(text: "true", style: .plain, tag: "tag:yaml.org,2002:str").value == .string("true"))
    }

    @Test func composerKeepsPositionsAndSharesAliases() throws {
        let yaml = "base: &b {x: 1}\nuse: *b\nlist:\n  - a\n  - é: 2\n"
        let stream = YAMLComposer().compose(Array(yaml.utf8), file: "t.yaml")
        #expect(stream.diagnostics.isEmpty)
        let root = try #require(stream.documents.first?.root)
        #expect(root["use"] === root["base"])
        #expect(root["list"]?.items?[1].entries?[0].key.location == SourceLocation(line: 5, column: 5))
        #expect(root.expandedSize == 15)  // the alias counts its target's 3 nodes
    }

    @Test func byteOrderMarkDoesNotShiftColumns() throws {
        let stream = YAMLComposer().compose([0xEF, 0xBB, 0xBF] + Array("name: x\n".utf8), file: "t.yaml")
        #expect(stream.diagnostics.isEmpty)
        let root = try #require(stream.documents.first?.root)
        #expect(root.entries?[0].key.location == SourceLocation(line: 1, column: 1))
        #expect(root["name"]?.location == SourceLocation(line: 1, column: 7))
    }

    @Test func mergeKeysNeverOverrideExplicitEntries() throws {
        let yaml = "defaults: &d {interval: 1m, minRequests: 5}\nanalysis:\n  <<: *d\n  minRequests: 50\n"
        let stream = YAMLComposer().compose(Array(yaml.utf8), file: "t.yaml")
        let analysis = try #require(stream.documents.first?.root["analysis"])
        #expect(analysis.int("minRequests") == 50)
        #expect(analysis.string("interval") == "1m")
        #expect(analysis.entries?.count == 2)
    }
}

/// "Did you mean" picks likely typos only.
@Suite(.timeLimit(.minutes(10))) struct SuggestionTests {
    @Test func closeNamesAreSuggested() {
        let fields = ["weight", "pause", "approval"]
        #expect(Suggestion.closest(to: "wieght", among: fields) == "weight")
        #expect(Suggestion.closest(to: "Pause", among: fields) == "pause")
        #expect(Suggestion.closest(to: "aproval", among: fields) == "approval")
        #expect(Suggestion.closest(to: "replicas", among: fields) == nil)
        #expect(Suggestion.editDistance("kitten", "sitting") == 3)
        #expect(Suggestion.editDistance("ab", "ba") == 1)
    }
}
