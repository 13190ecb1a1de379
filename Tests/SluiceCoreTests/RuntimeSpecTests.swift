import SluiceCore
import Testing

@Suite("runtime spec", .timeLimit(.minutes(10)))
struct RuntimeSpecTests {
    static let good = #"""
        {"revision": "abc123", "models": [{"name": "fraud",
          "versions": [{"name": "v1", "runtime": "python-v2", "artifact": "models/a.json",
                        "digest": "sha256:74988196450fd80bc4efe026d94b3db450fa71de725e8d3ddfc2f9089f520b9d"},
                       {"name": "v2", "endpoint": "http://127.0.0.1:9000"}],
          "route": {"weights": {"v1": 90, "v2": 10}, "stickyHeader": "x-user-id",
                    "pins": [{"header": "x-canary", "value": "yes", "version": "v2"}],
                    "mirror": {"version": "v2", "percent": 12.5}}}]}
        """#

    @Test("a good spec decodes and survives a round trip")
    func roundTrip() throws {
        let spec = try RuntimeSpec.decode(json: Array(Self.good.utf8))
        #expect(spec.revision == "abc123")
        let model = try #require(spec.model("fraud"))
        #expect(model.route.weights == ["v1": 90, "v2": 10])
        #expect(model.route.mirror == Route.Mirror(version: "v2", percent: 12.5))
        #expect(model.version("v2")?.endpoint == "http://127.0.0.1:9000")
        let again = try RuntimeSpec.decode(json: Array(spec.jsonValue.serialized(indent: 2).utf8))
        #expect(again == spec)
    }

    func issues(_ json: String) -> [String] {
        do {
            _ = try RuntimeSpec.decode(json: Array(json.utf8))
            return []
        } catch {
            return error.issues.map(\.description)
        }
    }

    @Test("every problem is reported with its field")
    func problems() {
        let found = issues(#"""
            {"models": [{"name": "fraud detector",
              "versions": [{"name": "v1", "runtime": "python-v2"},
                           {"name": "v1", "endpoint": "https://example.com/x"},
                           {"name": "v3", "runtime": "r", "artifact": "a", "endpoint": "http://127.0.0.1:1"},
                           {"name": "v4", "runtime": "r", "artifact": "a", "digest": "md5:abc"}],
              "route": {"weights": {"v1": 70, "v9": 20, "v3": -5}, "stickyHeader": "bad header",
                        "pins": [{"header": "x", "value": "y", "version": "nope"}],
                        "mirror": {"version": "v9", "percent": 150}}}]}
            """#)
        #expect(found == [
            "models[0].name: expected letters, digits, '-', '_', '.' and '~' only, found 'fraud detector'",
            "models[0].versions[0].artifact: missing: the artifact the runtime serves",
            "models[0].versions[1].name: version 'v1' is listed twice",
            "models[0].versions[1].endpoint: expected http://HOST:PORT (plain HTTP, no path), found 'https://example.com/x'",
            "models[0].versions[2]: give either endpoint or runtime and artifact, not both",
            "models[0].versions[3].digest: the digest algorithm 'md5' is not supported; use sha256 or sha512",
            "models[0].route.weights.v3: expected 0–100, found -5",
            "models[0].route.weights.v9: names no version of model 'fraud detector'",
            "models[0].route.weights: weights sum to 85; they must sum to 100",
            "models[0].route.pins[0].version: names no version of model 'fraud detector'",
            "models[0].route.stickyHeader: expected an HTTP header name",
            "models[0].route.mirror.version: names no version of model 'fraud detector'",
            "models[0].route.mirror.percent: expected 0–100, found 150.0",
        ])
    }

    @Test("shape errors: wrong types, unknown and missing fields, duplicates", arguments: [
        (#"[]"#, "expected an object, found an array"),
        (#"{"models": {}}"#, "models: expected an array of models, found an object"),
        (#"{"model": []}"#, "model: unknown field; expected one of revision, models"),
        (#"{"models": [{"name": "m", "versions": [{"name": "v"}]}]}"#, "models[0].route: missing"),
        (#"{"models": [{"name": 3, "versions": [], "route": {"weights": {}}}]}"#, "models[0].name: expected a string, found a number"),
        (#"{"models": [{"name": "m", "versions": [{"name": "v", "runtime": "r", "artifact": "a"}], "route": {"weights": {"v": "100"}}}]}"#,
         "models[0].route.weights.v: expected a whole percent 0–100, found a string"),
        (#"{"revision": "a", "revision": "b", "models": []}"#, "revision: appears twice"),
        (#"{"models": [1, 2"#, "not JSON: line 1, column 17: expected ',' or ']' in the array"),
    ])
    func shapes(json: String, expected: String) {
        let found = issues(json)
        #expect(found.contains { $0 == expected || $0.hasPrefix(expected) }, "\(found)")
    }

    @Test("an empty spec is valid: it stops everything")
    func empty() throws {
        #expect(try RuntimeSpec.decode(json: Array(#"{"models": []}"#.utf8)).models.isEmpty)
    }

    @Test("upstream addresses")
    func addresses() {
        #expect(UpstreamAddress(url: "http://127.0.0.1:9000") == UpstreamAddress(host: "127.0.0.1", port: 9000))
        #expect(UpstreamAddress(url: "http://localhost:80/") == UpstreamAddress(host: "localhost", port: 80))
        for bad in ["http://127.0.0.1", "http://127.0.0.1:0", "http://h:99999", "https://h:1", "http://h:1/path", "http://u@h:1", "http://:1"] {
            #expect(UpstreamAddress(url: bad) == nil, "\(bad)")
        }
    }
    @Test("the models that differ between two specs: changed, added and removed ones, not a changed revision label")
    func modelsDiffering() throws {
        let spec = try RuntimeSpec.decode(json: Array(Self.good.utf8))
        var other = spec
        other.revision = "someone else"
        #expect(spec.modelNamesDiffering(from: other).isEmpty)
        other.models[0].route.weights = ["v1": 100, "v2": 0]
        other.models.append(ModelRuntime(name: "churn", versions: [], route: Route(weights: [:], pins: [])))
        #expect(spec.modelNamesDiffering(from: other) == ["churn", "fraud"])
        #expect(spec.modelNamesDiffering(from: RuntimeSpec(models: [])) == ["fraud"])
    }
}
