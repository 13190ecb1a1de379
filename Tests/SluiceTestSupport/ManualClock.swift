import NIOConcurrencyHelpers
import SluiceCore

/// A wall clock that moves only when a test moves it: a ten-minute pause takes no time, and
/// every pass of a test sees exactly the time the test set.
public final class ManualClock: WallClock {
    private let seconds: NIOLockedValueBox<Double>

    /// Starts at `start` seconds since the epoch (by default a round time, so 10 s
    /// statistics windows and monitoring buckets begin at it).
    public init(start: Double = 1_800_000_000) {
        seconds = NIOLockedValueBox(start)
    }

    /// Seconds since the epoch.
    public func now() -> Double { seconds.withLockedValue { $0 } }

    /// Moves the clock forward.
    public func advance(by interval: Double) {
        seconds.withLockedValue { $0 += interval }
    }
}
