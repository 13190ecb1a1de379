/// The controller's notion of now, in seconds since the Unix epoch: rollout steps, pauses
/// and analysis intervals are measured with it. Tests move a manual clock by hand, so a
/// ten-minute pause takes no time.
public protocol WallClock: Sendable {
    /// Seconds since the Unix epoch.
    func now() -> Double
}
