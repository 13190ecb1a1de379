import SluiceCore
import Testing

@Suite("frequent items (Misra–Gries)", .timeLimit(.minutes(10)))
struct FrequentItemsTests {
    /// A Zipf-like stream: item i (1…distinct) drawn with weight 1/i, in a seeded order.
    static func stream(_ count: Int, distinct: Int, seed: UInt64) -> [String] {
        var cumulative: [Double] = []
        var sum = 0.0
        for rank in 1...distinct {
            sum += 1 / Double(rank)
            cumulative.append(sum)
        }
        var random = SeededGenerator(seed: seed)
        var items: [String] = []
        items.reserveCapacity(count)
        for _ in 0..<count {
            let target = random.unit() * sum
            var low = 0
            var high = distinct - 1
            while low < high {
                let middle = (low + high) / 2
                if cumulative[middle] < target { low = middle + 1 } else { high = middle }
            }
            items.append("item\(low + 1)")
        }
        return items
    }

    static func exactCounts(_ items: [String]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for item in items { counts[item, default: 0] += 1 }
        return counts
    }

    /// Every estimate is a lower bound within `maximumError`, untracked items included.
    func checkBounds(_ sketch: FrequentItems, _ exact: [String: Int]) {
        for (item, truth) in exact {
            let estimate = sketch.estimate(item)
            #expect(estimate <= truth && truth <= estimate + sketch.maximumError, "\(item): \(estimate) vs \(truth)")
        }
    }

    @Test("exact while the distinct items fit")
    func exact() {
        var sketch = FrequentItems(capacity: 4)
        for item in ["a", "b", "a", "c", "a", "b", "d"] { sketch.insert(item) }
        sketch.insert("d", count: 3)
        sketch.insert("e", count: 0)
        #expect(sketch.isExact && sketch.maximumError == 0 && sketch.count == 10)
        #expect(sketch.estimates().map(\.item) == ["d", "a", "b", "c"])
        #expect(sketch.estimates().map(\.count) == [4, 3, 2, 1])
        #expect(sketch.countsWithOther() == ["a": 3, "b": 2, "c": 1, "d": 4], "no other bucket when nothing was dropped")
    }

    @Test("heavy hitters of a skewed stream are found, every estimate within the error bound")
    func heavyHitters() {
        let items = Self.stream(200_000, distinct: 5_000, seed: 1)
        var sketch = FrequentItems()
        for item in items { sketch.insert(item) }
        let exact = Self.exactCounts(items)
        #expect(!sketch.isExact)
        #expect(sketch.count == items.count)
        #expect(sketch.maximumError <= items.count / (sketch.capacity + 1), "Misra–Gries bound n/(m+1)")
        checkBounds(sketch, exact)
        // Every item above the error bound is tracked: the top of the stream is found.
        for (item, truth) in exact where truth > sketch.maximumError {
            #expect(sketch.estimate(item) > 0, "\(item) (\(truth)) is missing")
        }
        #expect(sketch.estimates().prefix(3).map(\.item) == ["item1", "item2", "item3"])
        let counts = sketch.countsWithOther()
        #expect(counts.values.reduce(0, +) == items.count)
        #expect((counts["(other)"] ?? 0) > 0)
    }

    @Test("16 merged sketches: count exact, bounds hold, the same heavy hitters as the whole")
    func merge() {
        let items = Self.stream(160_000, distinct: 3_000, seed: 2)
        var merged = FrequentItems()
        for part in 0..<16 {
            var sketch = FrequentItems()
            for item in items[(part * 10_000)..<((part + 1) * 10_000)] { sketch.insert(item) }
            merged.merge(sketch)
        }
        var whole = FrequentItems()
        for item in items { whole.insert(item) }
        #expect(merged.count == items.count)
        #expect(merged.maximumError <= items.count / (merged.capacity + 1))
        checkBounds(merged, Self.exactCounts(items))
        #expect(merged.estimates().prefix(5).map(\.item) == whole.estimates().prefix(5).map(\.item))
        #expect(merged.countsWithOther(otherLabel: "rest").values.reduce(0, +) == items.count)

        var exactMerge = FrequentItems()
        var a = FrequentItems()
        a.insert("x", count: 2)
        var b = FrequentItems()
        b.insert("x")
        b.insert("y")
        exactMerge.merge(a)
        exactMerge.merge(b)
        #expect(exactMerge.isExact && exactMerge.countsWithOther() == ["x": 3, "y": 1])
    }

    @Test("JSON round trip is exact")
    func roundTrip() throws {
        var sketch = FrequentItems(capacity: 8)
        for item in Self.stream(5_000, distinct: 100, seed: 3) { sketch.insert(item) }
        sketch.insert("quote \" and \\ and ünïcode")
        for candidate in [FrequentItems(), sketch] {
            let text = candidate.jsonValue().serialized()
            let decoded = try FrequentItems(json: try JSONParser.parse(text))
            #expect(decoded == candidate)
            #expect(decoded.jsonValue().serialized() == text)
        }
    }

    @Test("malformed JSON is rejected with the offending field's path", arguments: [
        ("3", ""),
        (#"{"capacity":0,"n":0,"error":0,"items":{}}"#, "capacity"),
        (#"{"capacity":"8","n":0,"error":0,"items":{}}"#, "capacity"),
        (#"{"capacity":8,"n":-1,"error":0,"items":{}}"#, "n"),
        (#"{"capacity":8,"n":5,"error":-1,"items":{}}"#, "error"),
        (#"{"capacity":8,"n":5,"error":0,"items":[]}"#, "items"),
        (#"{"capacity":8,"n":5,"error":0,"items":{"a":0}}"#, "items.a"),
        (#"{"capacity":8,"n":5,"error":0,"items":{"a":2,"a":1}}"#, "items.a"),
        (#"{"capacity":8,"n":5,"error":0,"items":{"a":4,"b":2}}"#, "items.b"),
        (#"{"capacity":8,"n":5,"error":2,"items":{"a":4}}"#, "error"),
        (#"{"capacity":1,"n":5,"error":0,"items":{"a":1,"b":1,"c":1}}"#, "items"),
    ])
    func malformed(text: String, path: String) throws {
        let json = try JSONParser.parse(text)
        let error = #expect(throws: SketchDecodingError.self) { try FrequentItems(json: json) }
        #expect(error?.path == path, "\(String(describing: error))")
    }
}
