import SluiceCore
import Testing
@testable import SluiceServe

/// The gateway's choice among a version's ready replicas: power of two choices on requests
/// in flight, and a retry that never goes back to the replica that failed.
@Suite("replica set: power of two choices", .timeLimit(.minutes(10)))
struct ReplicaSetTests {
    static func targets(_ count: Int) -> [UpstreamTarget] {
        (0..<count).map { UpstreamTarget(model: "m", version: "v1", address: UpstreamAddress(host: "127.0.0.1", port: 20000 + $0)) }
    }

    @Test("one replica is always the pick; of two, the one with fewer requests in flight")
    func leastOutstanding() {
        let one = Self.targets(1)
        #expect(ReplicaSet(one).pick() === one[0])
        let two = Self.targets(2)
        for _ in 0..<3 { two[0].begin() }
        let set = ReplicaSet(two)
        for _ in 0..<200 { #expect(set.pick() === two[1]) }
    }

    @Test("of several, the most loaded replica is never picked, and every other one is")
    func spreads() {
        let targets = Self.targets(4)
        for _ in 0..<10 { targets[2].begin() }
        let set = ReplicaSet(targets)
        var picked: [Int: Int] = [:]
        for _ in 0..<2000 {
            let choice = set.pick()
            picked[targets.firstIndex { $0 === choice } ?? -1, default: 0] += 1
        }
        #expect(picked[2] == nil, "\(picked)")
        #expect(Set(picked.keys) == [0, 1, 3], "\(picked)")
    }

    @Test("a retry excludes the replica that failed; with none left there is no retry")
    func excluding() {
        #expect(ReplicaSet(Self.targets(1)).pick(excluding: Self.targets(1)[0]) != nil, "a target not in the set excludes nothing")
        let one = Self.targets(1)
        #expect(ReplicaSet(one).pick(excluding: one[0]) == nil)
        let two = Self.targets(2)
        #expect(ReplicaSet(two).pick(excluding: two[1]) === two[0])
        let five = Self.targets(5)
        let set = ReplicaSet(five)
        var seen: Set<Int> = []
        for _ in 0..<2000 {
            let choice = set.pick(excluding: five[3])
            #expect(choice !== five[3])
            if let index = five.firstIndex(where: { $0 === choice }) { seen.insert(index) }
        }
        #expect(seen == [0, 1, 2, 4])
    }
}
