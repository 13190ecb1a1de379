import SluiceCore
import Testing

@Suite("version picker", .timeLimit(.minutes(10)))
struct VersionPickerTests {
    static func model(_ weights: [String: Int], sticky: String? = nil, pins: [Route.HeaderPin] = []) -> ModelRuntime {
        ModelRuntime(
            name: "m",
            versions: weights.keys.sorted().map { VersionRuntime(name: $0, endpoint: "http://127.0.0.1:1") },
            route: Route(weights: weights, pins: pins, stickyHeader: sticky)
        )
    }

    func choose(_ picker: VersionPicker, explicit: String? = nil, headers: [String: String] = [:], ready: Set<String>, random: UInt64 = 0) -> VersionPicker.Choice {
        picker.choose(explicit: explicit, header: { headers[$0] }, isReady: { ready.contains($0) }, random: random)
    }

    @Test("weighted choice follows the cumulative ranges")
    func weighted() {
        let picker = VersionPicker(model: Self.model(["a": 90, "b": 10]))
        let ready: Set = ["a", "b"]
        #expect(choose(picker, ready: ready, random: 0) == .version("a", .weighted))
        #expect(choose(picker, ready: ready, random: UInt64.max) == .version("b", .weighted))
        // Exactly at 90 %: the first value in b's range.
        #expect(choose(picker, ready: ready, random: UInt64(0.9 * Double(UInt64.max))) == .version("b", .weighted))
        var counts: [String: Int] = [:]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100_000 {
            if case .version(let name, _) = choose(picker, ready: ready, random: generator.next()) { counts[name, default: 0] += 1 }
        }
        // sd ≈ 95 for Binomial(100000, 0.1); ±6 sd.
        #expect((9_430...10_570).contains(counts["b", default: 0]), "\(counts)")
    }

    @Test("the weighted table made once for a readiness state chooses as the picker does without it, for every state and pins")
    func precomputedTable() {
        let picker = VersionPicker(
            model: Self.model(["a": 50, "b": 0, "c": 30, "d": 20], pins: [Route.HeaderPin(header: "x-pin", value: "1", version: "b")]))
        var generator = SystemRandomNumberGenerator()
        for mask in 0..<16 {
            let ready = Set(["a", "b", "c", "d"].enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element))
            let table = picker.weightedChoice { ready.contains($0) }
            for headers in [[:], ["x-pin": "1"], ["x-pin": "2"]] {
                for random in [0, UInt64.max, UInt64(0.5 * Double(UInt64.max)), UInt64(0.8 * Double(UInt64.max))] + (0..<500).map({ _ in generator.next() }) {
                    let made = picker.choose(
                        explicit: nil, header: { headers[$0] }, isReady: { ready.contains($0) }, random: random, weighted: table)
                    #expect(made == choose(picker, headers: headers, ready: ready, random: random), "\(ready) \(headers) \(random)")
                }
            }
        }
        // Exactly at a boundary: 50 % is the first value in c's range, 80 % in d's.
        let all = picker.weightedChoice { _ in true }
        #expect(all.pick(random: UInt64(0.5 * Double(UInt64.max))) == "c")
        #expect(all.pick(random: UInt64(0.8 * Double(UInt64.max))) == "d")
        #expect(picker.weightedChoice { $0 == "b" }.pick(random: 0) == nil)
    }

    @Test("versions that are not ready get no traffic; their weight is shared")
    func readiness() {
        let picker = VersionPicker(model: Self.model(["a": 90, "b": 10]))
        #expect(choose(picker, ready: ["b"], random: 0) == .version("b", .weighted))
        #expect(choose(picker, ready: [], random: 0) == .noneReady)
        #expect(picker.effectiveWeights(isReady: { $0 == "b" }) == ["a": 0, "b": 100])
        // A ready version with weight 0 is not a fallback.
        let zero = VersionPicker(model: Self.model(["a": 100, "b": 0]))
        #expect(choose(zero, ready: ["b"]) == .noneReady)
    }

    @Test("an explicit version or a header pin wins over weights")
    func explicit() {
        let pin = Route.HeaderPin(header: "X-Canary", value: "yes", version: "b")
        let picker = VersionPicker(model: Self.model(["a": 100, "b": 0], pins: [pin]))
        #expect(choose(picker, explicit: "b", ready: ["a", "b"]) == .version("b", .explicit))
        #expect(choose(picker, explicit: "b", ready: ["a"]) == .notReady("b"))
        #expect(choose(picker, explicit: "zz", ready: ["a", "b"]) == .unknownVersion("zz"))
        #expect(choose(picker, headers: ["x-canary": "yes"], ready: ["a", "b"]) == .version("b", .pin))
        #expect(choose(picker, headers: ["x-canary": "no"], ready: ["a", "b"]) == .version("a", .weighted))
    }

    @Test("a sticky key keeps its version whatever the random draw, and keys spread by weight")
    func sticky() throws {
        let picker = VersionPicker(model: Self.model(["a": 70, "b": 30], sticky: "X-User"))
        var counts: [String: Int] = [:]
        for user in 0..<2_000 {
            let headers = ["x-user": "user-\(user)"]
            let first = choose(picker, headers: headers, ready: ["a", "b"], random: 0)
            let second = choose(picker, headers: headers, ready: ["a", "b"], random: .max)
            #expect(first == second)
            if case .version(let name, .sticky) = first { counts[name, default: 0] += 1 }
        }
        #expect((480...720).contains(counts["b", default: 0]), "\(counts)")
        // A sticky version that is not ready falls back to the weighted choice.
        let key = try #require((0..<100).map { "user-\($0)" }.first { VersionPicker.hash($0) >> 11 >= UInt64(0.7 * Double(1 << 53)) })
        #expect(choose(picker, headers: ["x-user": key], ready: ["a", "b"]) == .version("b", .sticky))
        #expect(choose(picker, headers: ["x-user": key], ready: ["a"]) == .version("a", .weighted))
    }

    /// Pinned by an independent port (`Fixtures/sticky/sticky_table.py`, checked there against
    /// published FNV-1a and splitmix64 vectors). A caller's version must not move when Sluice
    /// is upgraded, so a change here is a breaking change for every sticky route, not a test
    /// to update.
    static let pinnedHashes: [(key: String, hash: UInt64)] = [
        ("", 0xf52a_15e9_a9b5_e89b),
        ("a", 0x02c0_bdbf_4814_20f8),
        ("user-1", 0xc499_b5f8_a721_df58),
        ("user-2", 0x4fb3_8f41_4590_a87b),
        ("user-42", 0x7a15_96f0_e94b_5793),
        ("alice@example.com", 0x5f12_4bef_ce03_13b8),
        ("h\u{e9}llo", 0x18e3_66c2_ac71_cbbe),
        ("\u{1F600}", 0xbdbd_daf8_3dff_6570),
        (String(repeating: "x", count: 64), 0x7a88_65bf_631b_1eff),
    ]

    @Test("the sticky hash is FNV-1a 64 over UTF-8 then splitmix64's finalizer, equal to an independent port")
    func pinnedHash() {
        for (key, hash) in Self.pinnedHashes {
            #expect(VersionPicker.hash(key) == hash, "\(key.debugDescription): 0x\(String(VersionPicker.hash(key), radix: 16))")
        }
        // The bytes hashed are UTF-8: a precomposed é and e + combining accent are different keys.
        #expect(VersionPicker.hash("h\u{e9}llo") != VersionPicker.hash("he\u{301}llo"))
    }

    @Test("users keep their version across releases: user-0…user-39 on a 50/30/20 split")
    func pinnedAssignments() {
        // Spec order v1, v2, v3 (the ranges follow it); every version ready.
        let model = ModelRuntime(
            name: "m",
            versions: ["v1", "v2", "v3"].map { VersionRuntime(name: $0, endpoint: "http://127.0.0.1:1") },
            route: Route(weights: ["v1": 50, "v2": 30, "v3": 20], stickyHeader: "X-User"))
        let picker = VersionPicker(model: model)
        let expected = [
            "v1", "v2", "v1", "v1", "v1", "v1", "v1", "v2",
            "v1", "v2", "v1", "v3", "v2", "v1", "v1", "v2",
            "v1", "v1", "v2", "v2", "v1", "v2", "v2", "v3",
            "v1", "v3", "v1", "v1", "v3", "v2", "v2", "v2",
            "v2", "v1", "v1", "v1", "v2", "v1", "v1", "v3",
        ]
        #expect(Set(expected) == ["v1", "v2", "v3"], "the table reaches every range")
        for (user, version) in expected.enumerated() {
            let headers = ["x-user": "user-\(user)"]
            #expect(choose(picker, headers: headers, ready: ["v1", "v2", "v3"], random: .max / 3) == .version(version, .sticky), "user-\(user)")
        }
    }

    @Test("a manifest's sticky split keeps users where they were: the rollout engine's route keeps the manifest's version order")
    func pinnedAssignmentsFromManifest() throws {
        // Listed v3, v1, v2 on purpose: sorting the versions anywhere on the way would move users.
        let deployment = try PlanFixtures.deployment("""
            apiVersion: sluice/v1
            kind: ModelDeployment
            metadata:
              name: ab
            spec:
              runtime: python-v2
              versions:
                - name: v3
                  artifact: models/c.json
                - name: v1
                  artifact: models/a.json
                - name: v2
                  artifact: models/b.json
              traffic: {v1: 50, v2: 30, v3: 20}
              routing:
                stickyHeader: X-User

            """)
        let ready: Set = ["v1", "v2", "v3"]
        let decision = RolloutEngine.reconcile(
            desired: DesiredState.Model(deployment: deployment, path: "ab.yaml"), revision: "r", manifestError: nil, state: nil,
            observation: ModelObservation(readyVersions: ready), now: 0)
        let route = try #require(RolloutEngine.route(for: decision.state))
        #expect(route.versions.map(\.name) == ["v3", "v1", "v2"])
        let picker = VersionPicker(model: ModelRuntime(name: "ab", route: route))
        let expected = [
            "v1", "v2", "v1", "v1", "v3", "v1", "v3", "v1",
            "v3", "v1", "v1", "v2", "v1", "v3", "v1", "v2",
            "v1", "v1", "v1", "v1", "v3", "v1", "v2", "v2",
            "v1", "v2", "v3", "v1", "v2", "v2", "v2", "v2",
            "v1", "v3", "v3", "v3", "v1", "v3", "v1", "v2",
        ]
        for (user, version) in expected.enumerated() {
            #expect(choose(picker, headers: ["x-user": "user-\(user)"], ready: ready) == .version(version, .sticky), "user-\(user)")
        }
    }
}
