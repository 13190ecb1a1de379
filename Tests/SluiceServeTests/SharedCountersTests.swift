import Atomics
import Dispatch
import SluiceCore
import Testing

@testable import SluiceServe

/// The counters every request changes from any event loop, kept in atomics rather than under
/// locks (Benchmarks/README.md, "Hot path, slices 23-36"): driven from many threads at once,
/// they must neither lose a change nor let the body budget be exceeded.
@Suite("shared counters under concurrent requests") struct SharedCountersTests {
    @Test("the body budget is never exceeded by concurrent reservations, and is whole again once all is given back")
    func bodyBudget() {
        let limit = 400
        let budget = BodyBudget(limit: limit)
        // What the threads hold between a reservation and its release, counted apart.
        let held = ManagedAtomic(0)
        let highest = ManagedAtomic(0)
        let refused = ManagedAtomic(0)
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            var random = SplitMix64(state: UInt64(thread + 1))
            // Each thread keeps up to four bodies at once, as a connection with pipelined
            // requests does, so that reservations are refused even with one thread running.
            var kept: [Int] = []
            for _ in 0..<20_000 {
                if kept.count == 4 {
                    let bytes = kept.removeFirst()
                    held.wrappingDecrement(by: bytes, ordering: .relaxed)
                    budget.release(bytes)
                }
                let bytes = Int(random.next() % 150) + 1
                guard budget.reserve(bytes) else {
                    refused.wrappingIncrement(ordering: .relaxed)
                    continue
                }
                kept.append(bytes)
                let now = held.wrappingIncrementThenLoad(by: bytes, ordering: .relaxed)
                var seen = highest.load(ordering: .relaxed)
                while now > seen, !highest.weakCompareExchange(expected: seen, desired: now, ordering: .relaxed).exchanged {
                    seen = highest.load(ordering: .relaxed)
                }
            }
            for bytes in kept {
                held.wrappingDecrement(by: bytes, ordering: .relaxed)
                budget.release(bytes)
            }
        }
        #expect(highest.load(ordering: .relaxed) <= limit, "more than the budget was held at once")
        #expect(refused.load(ordering: .relaxed) > 0, "the threads never contended: the test did not exercise the bound")
        #expect(budget.reserve(limit), "bytes were lost: the whole budget cannot be taken again")
        #expect(!budget.reserve(1))
        budget.release(limit + 50)
        #expect(budget.reserve(limit), "giving back more than was held leaves the budget whole, not above it")
    }

    @Test("a target's in-flight and completed counts lose no change when requests begin and end on many threads")
    func targetCounts() {
        let target = UpstreamTarget(model: "m", version: "v1", address: UpstreamAddress(host: "127.0.0.1", port: 9000))
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<50_000 {
                target.begin()
                target.end()
            }
        }
        #expect(target.inFlight == 0)
        #expect(target.completed == 400_000)
    }
}
