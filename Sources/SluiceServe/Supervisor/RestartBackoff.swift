/// The delay before starting again a process that exited: doubling from `initial` up to
/// `maximum` while it keeps failing, and back to `initial` once a run lasted `healthyAfter`.
package struct RestartBackoff: Sendable {
    /// The first delay.
    package let initial: Swift.Duration
    /// The longest delay.
    package let maximum: Swift.Duration
    /// A run at least this long counts as healthy and resets the delay.
    package let healthyAfter: Swift.Duration
    private var failures = 0

    /// 1 s doubling to 30 s, reset after a run of a minute, unless told otherwise.
    package init(initial: Swift.Duration = .seconds(1), maximum: Swift.Duration = .seconds(30), healthyAfter: Swift.Duration = .seconds(60)) {
        self.initial = initial
        self.maximum = maximum
        self.healthyAfter = healthyAfter
    }

    /// The delay after a run that lasted `ranFor`.
    package mutating func delay(afterRunOf ranFor: Swift.Duration) -> Swift.Duration {
        if ranFor >= healthyAfter { failures = 0 }
        var delay = initial
        for _ in 0..<failures where delay < maximum { delay *= 2 }
        failures += 1
        return min(delay, maximum)
    }
}
