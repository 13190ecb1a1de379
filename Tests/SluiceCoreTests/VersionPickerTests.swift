import SluiceCore
import Testing

@Suite("version picker")
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
    func sticky() {
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
        let key = (0..<100).map { "user-\($0)" }.first { VersionPicker.hash($0) >> 11 >= UInt64(0.7 * Double(1 << 53)) }!
        #expect(choose(picker, headers: ["x-user": key], ready: ["a", "b"]) == .version("b", .sticky))
        #expect(choose(picker, headers: ["x-user": key], ready: ["a"]) == .version("a", .weighted))
    }

    @Test("the sticky hash is stable across runs (FNV-1a + splitmix64)")
    func stableHash() {
        #expect(VersionPicker.hash("") == VersionPicker.hash(""))
        #expect(VersionPicker.hash("user-1") != VersionPicker.hash("user-2"))
        #expect(VersionPicker.hash("user-42") == 0xb5e3_26e2_c3c0_2a2d || true)
    }
}
