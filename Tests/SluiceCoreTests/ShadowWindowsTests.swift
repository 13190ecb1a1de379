import SluiceCore
import Testing

/// Shadow tallies in tumbling windows: copies count when sent, outcomes when their second
/// answer arrives, and the asked-for seconds merge the windows that cover them.
@Suite("shadow windows", .timeLimit(.minutes(10)))
struct ShadowWindowsTests {
    static let second: UInt64 = 1_000_000_000

    static func pair(_ stable: String, _ candidate: String, micros: UInt64 = 1000) -> ShadowPairOutcome {
        .paired(OutputComparison.compare(stable: [.category(stable)], candidate: [.category(candidate)]), candidateMicros: micros, stableMicros: micros)
    }

    @Test("a copy sent in one window and answered in the next is a copy of the first and a pair of the second; a window that closed with copies in flight shows copies without answers")
    func unpairedAtWindowEnd() throws {
        var windows = ShadowWindows(windowSeconds: 10, windowCount: 30)
        // Window 0 (0–10 s): three copies, one answered there.
        for at in [UInt64(1), 5, 9] { windows.recordCopy(now: at * Self.second) }
        windows.record(Self.pair("a", "a"), now: 6 * Self.second)
        // Window 1: the two others answered, no new copy.
        windows.record(Self.pair("a", "b"), now: 11 * Self.second)
        windows.record(.candidateFailed, now: 12 * Self.second)

        // At 12 s, the last 10 seconds are window 1 only.
        let current = try #require(windows.tally(lastSeconds: 10, now: 12 * Self.second))
        #expect(current.copies == 0 && current.answered == 2 && current.pairs == 1 && current.candidateErrors == 1)
        #expect(current.agreement(tolerance: 0) == 0)
        // Window 0 as it closed: three copies, one answer.
        let closed = try #require(windows.tally(lastSeconds: 10, now: 9 * Self.second))
        #expect(closed.copies == 3 && closed.answered == 1 && closed.pairs == 1 && closed.agreement(tolerance: 0) == 1)
        // Both windows: every copy answered.
        let both = try #require(windows.tally(lastSeconds: 20, now: 12 * Self.second))
        #expect(both.copies == 3 && both.answered == 3 && both.pairs == 2 && both.agreement(tolerance: 0) == 0.5)
        #expect(both.candidateErrorRate == 1.0 / 3)
        #expect(windows.total.copies == 3 && windows.total.pairs == 2)
    }

    @Test("windows out of reach and windows without a paired mirror give no tally; an unpaired mirror's shed copies count in the total only")
    func reach() throws {
        var windows = ShadowWindows(windowSeconds: 10, windowCount: 3)
        #expect(windows.tally(lastSeconds: nil, now: 0) == nil)
        windows.recordShed(paired: false, now: Self.second)
        #expect(windows.tally(lastSeconds: nil, now: Self.second) == nil, "an unpaired mirror is no shadow step")
        #expect(windows.total.shed == 1)
        windows.recordCopy(now: Self.second)
        windows.recordShed(paired: true, now: 2 * Self.second)
        let tally = try #require(windows.tally(lastSeconds: nil, now: 2 * Self.second))
        #expect(tally.copies == 1 && tally.shed == 1)
        #expect(windows.total.shed == 2)
        // 25 s later the window is still kept (3 windows of 10 s), 35 s later it is gone.
        #expect(windows.tally(lastSeconds: nil, now: 27 * Self.second)?.copies == 1)
        #expect(windows.tally(lastSeconds: 10, now: 27 * Self.second) == nil)
        #expect(windows.tally(lastSeconds: nil, now: 31 * Self.second) == nil)
        // The ring reuses the slot for a later window: the old counts are gone, not added.
        windows.recordCopy(now: 31 * Self.second)
        #expect(windows.tally(lastSeconds: nil, now: 31 * Self.second)?.copies == 1)
        #expect(windows.windowsCovering(seconds: 0) == 1 && windows.windowsCovering(seconds: 11) == 2 && windows.windowsCovering(seconds: 1000) == 3)
    }

    @Test("a stale clock reading counts in the newer window instead of wiping it")
    func staleReading() throws {
        var windows = ShadowWindows(windowSeconds: 10, windowCount: 2)
        windows.recordCopy(now: 25 * Self.second)
        windows.recordCopy(now: 5 * Self.second)  // the same slot, two windows older
        #expect(windows.tally(lastSeconds: 10, now: 25 * Self.second)?.copies == 2)
    }

    @Test("clearing the windows (a version back in the spec) keeps the total")
    func clear() {
        var windows = ShadowWindows()
        windows.recordCopy(now: Self.second)
        windows.record(Self.pair("a", "a"), now: Self.second)
        windows.clearWindows()
        #expect(windows.tally(lastSeconds: nil, now: Self.second) == nil)
        #expect(windows.total.copies == 1 && windows.total.pairs == 1)
    }

    @Test("a new tolerance is counted from the next window on; a share over part of a window's pairs is never reported")
    func newTolerance() throws {
        var windows = ShadowWindows(windowSeconds: 10, windowCount: 30, tolerances: [0])
        windows.record(Self.pair("a", "a"), now: Self.second)
        windows.count(tolerances: [0, 0.5])
        windows.record(Self.pair("a", "a"), now: 2 * Self.second)
        let first = try #require(windows.tally(lastSeconds: 10, now: 2 * Self.second))
        #expect(first.agreement(tolerance: 0) == 1 && first.agreement(tolerance: 0.5) == nil)
        windows.record(Self.pair("a", "b"), now: 12 * Self.second)
        let second = try #require(windows.tally(lastSeconds: 10, now: 12 * Self.second))
        #expect(second.agreement(tolerance: 0.5) == 0)
        let both = try #require(windows.tally(lastSeconds: 20, now: 12 * Self.second))
        #expect(both.agreement(tolerance: 0.5) == nil && both.agreement(tolerance: 0) == 2.0 / 3)
        #expect(windows.total.agreements.map(\.tolerance) == [0, 0.5])
        #expect(windows.total.agreements.first?.pairs == 2)
    }

    @Test("memory is fixed: any number of events over any span keeps the ring's windows and bounded histograms")
    func bounded() throws {
        var windows = ShadowWindows(windowSeconds: 1, windowCount: 4)
        var generator = SplitMix(seed: 7)
        for step in 0..<20_000 {
            let now = UInt64(step) * Self.second / 100
            windows.recordCopy(now: now)
            windows.record(Self.pair("a", "a", micros: 1 + generator.next() % 100_000_000), now: now)
        }
        let tally = try #require(windows.tally(lastSeconds: nil, now: 19_999 * Self.second / 100))
        #expect(tally.pairs <= 400)
        #expect(tally.candidateLatency.buckets.count <= LatencyHistogram.maximumIndex + 1)
        #expect(windows.total.pairs == 20_000)
    }
}

/// A small seeded generator, so that random data is the same on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
