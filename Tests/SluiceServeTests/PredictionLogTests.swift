import SluiceCore
@testable import SluiceServe
import Testing

/// The prediction log's ring and open-addressing index keep and forget exactly what a
/// dictionary with an arrival-order list keeps and forgets.
@Suite("prediction log: ring and index", .timeLimit(.minutes(10)))
struct PredictionLogTests {
    /// The log as it was: a dictionary and the keys in arrival order.
    private struct Reference {
        let capacity: Int
        var entries: [String: (version: String, labeled: Bool)] = [:]
        var order: [String] = []
        var next = 0

        mutating func remember(_ key: String, version: String) {
            guard capacity > 0, entries[key] == nil else { return }
            entries[key] = (version, false)
            if order.count < capacity {
                order.append(key)
                return
            }
            entries.removeValue(forKey: order[next])
            order[next] = key
            next = (next + 1) % capacity
        }

        mutating func claim(_ key: String) -> String {
            guard let entry = entries[key] else { return "unknown" }
            if entry.labeled { return "duplicate" }
            entries[key]!.labeled = true
            return "found " + entry.version
        }
    }

    private static func describe(_ claim: PredictionLog.Claim) -> String {
        switch claim {
        case .unknown: "unknown"
        case .alreadyLabeled: "duplicate"
        case .found(let prediction): "found " + prediction.version
        }
    }

    @Test("random remembers and claims agree with the dictionary it replaces", arguments: [0, 1, 2, 7, 1000, 5000])
    func agreesWithReference(capacity: Int) {
        let log = PredictionLog(capacity: capacity)
        var reference = Reference(capacity: capacity)
        var state: UInt64 = 0x5EED + UInt64(capacity)
        func draw(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        let models = ["m", "other"]
        // Even numbers are the gateway's own ids (remembered as values, some as their text,
        // claimed by their text), odd ones a logger's: both kinds of key, in one table.
        func id(_ number: Int) -> (text: String, issued: RequestID?) {
            guard number % 2 == 0 else { return (String(number), nil) }
            let issued = RequestID(high: UInt64(number) &* 0x9E37_79B9_7F4A_7C15, low: UInt64(number))
            return (issued.description, issued)
        }
        for step in 0..<40_000 {
            // Ids drawn from a range a few times the capacity: repeats, evictions and misses.
            let model = models[draw(2)]
            let (text, issued) = id(draw(3 * capacity + 10))
            if draw(3) == 0 {
                #expect(Self.describe(log.claim(model: model, requestID: text)) == reference.claim(model + "/" + text), "step \(step)")
            } else {
                let version = "v\(step % 5)"
                if let issued, draw(4) != 0 {
                    log.remember(model: model, issued: issued, version: version, values: [.number(Double(step))])
                } else {
                    log.remember(model: model, requestID: text, version: version, values: [.number(Double(step))])
                }
                reference.remember(model + "/" + text, version: version)
            }
        }
        #expect(log.count == reference.entries.count)
        for model in models {
            for number in 0..<(3 * capacity + 10) {
                let text = id(number).text
                #expect(Self.describe(log.claim(model: model, requestID: text)) == reference.claim(model + "/" + text))
            }
        }
    }

    @Test("once full, each new prediction forgets the oldest; a repeated id keeps the first prediction")
    func evictionOrder() {
        let log = PredictionLog(capacity: 3)
        for id in ["a", "b", "c"] { log.remember(model: "m", requestID: id, version: "v1", values: [.number(1)]) }
        log.remember(model: "m", requestID: "b", version: "v2", values: [.number(2)])
        log.remember(model: "m", requestID: "d", version: "v1", values: [.number(1)])
        #expect(log.count == 3)
        #expect(Self.describe(log.claim(model: "m", requestID: "a")) == "unknown")
        if case .found(let prediction) = log.claim(model: "m", requestID: "b") {
            #expect(prediction.version == "v1" && prediction.values == [.number(1)] && !prediction.labeled)
        } else {
            Issue.record("b was forgotten")
        }
        #expect(Self.describe(log.claim(model: "m", requestID: "c")) == "found v1")
        #expect(Self.describe(log.claim(model: "m", requestID: "d")) == "found v1")
    }

    @Test("a gateway id is found by its text only as the gateway writes it: 32 lowercase digits")
    func issuedIDsByText() {
        let log = PredictionLog(capacity: 10)
        let issued = RequestID(high: 0xABCD_EF01_2345_6789, low: 42)
        log.remember(model: "m", issued: issued, version: "v1", values: [.number(1)])
        let text = issued.description
        #expect(text == "abcdef0123456789000000000000002a")
        for other in [text.uppercased(), " " + text, text + " ", String(text.dropLast()), text + "0", "abcdef0123456789-00000000000002a"] {
            #expect(Self.describe(log.claim(model: "m", requestID: other)) == "unknown", "\(other)")
        }
        #expect(Self.describe(log.claim(model: "other", requestID: text)) == "unknown")
        #expect(Self.describe(log.claim(model: "m", requestID: text)) == "found v1")
        #expect(Self.describe(log.claim(model: "m", requestID: text)) == "duplicate")
    }

    @Test("a log of 0 keeps nothing")
    func off() {
        let log = PredictionLog(capacity: 0)
        log.remember(model: "m", requestID: "a", version: "v", values: [.number(1)])
        #expect(log.count == 0)
        #expect(Self.describe(log.claim(model: "m", requestID: "a")) == "unknown")
    }
}
