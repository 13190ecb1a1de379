/// Where a monitor stands for one version: breaching windows in a row per tier, which tier
/// is firing, and the latest reading. Kept by the controller across windows (and restarts).
public struct MonitorStatus: Sendable, Hashable, Codable {
    /// The monitor's name.
    public var monitor: String
    /// The version watched.
    public var version: String
    /// Windows in a row beyond the monitor's own thresholds (critical ones included).
    public var breachStreak = 0
    /// Windows in a row beyond the critical tier.
    public var criticalStreak = 0
    /// The tier firing now, nil when quiet.
    public var firing: Severity?
    /// The latest reading.
    public var latest: MonitorReading?

    /// Creates a quiet status.
    public init(monitor: String, version: String) {
        self.monitor = monitor
        self.version = version
    }
}

/// A monitor changing state: it fired (with the tier's action) or it resolved.
public struct MonitorFiring: Sendable, Hashable, Codable {
    /// Fired or resolved.
    public enum Kind: String, Sendable, Hashable, Codable {
        case firing, resolved
    }

    public var kind: Kind
    /// The tier that fired (or the one that was firing, when resolved).
    public var severity: Severity
    /// What to do: the tier's action when firing, `alert` when resolved.
    public var action: MonitorAction
    /// The reading that caused it.
    public var reading: MonitorReading
    /// Breaching windows in a row when it fired.
    public var consecutiveWindows: Int

    /// Creates a firing.
    public init(kind: Kind, severity: Severity, action: MonitorAction, reading: MonitorReading, consecutiveWindows: Int) {
        self.kind = kind
        self.severity = severity
        self.action = action
        self.reading = reading
        self.consecutiveWindows = consecutiveWindows
    }
}

/// Turns readings into firings: a tier fires after its `consecutiveWindows` breaching
/// windows in a row, once per episode; a window within thresholds resolves it. Windows
/// with insufficient data (or errors) neither count toward firing nor resolve anything.
public enum MonitorTracker {
    /// Updates `status` with a reading.
    public static func observe(
        _ reading: MonitorReading, monitor: Monitor, status previous: MonitorStatus?
    ) -> (MonitorStatus, [MonitorFiring]) {
        var status = previous ?? MonitorStatus(monitor: monitor.name, version: reading.version)
        status.latest = reading
        var firings: [MonitorFiring] = []
        switch reading.verdict {
        case .insufficientData, .error:
            break
        case .ok:
            status.breachStreak = 0
            status.criticalStreak = 0
            if let firing = status.firing {
                firings.append(MonitorFiring(kind: .resolved, severity: firing, action: .alert, reading: reading, consecutiveWindows: 0))
                status.firing = nil
            }
        case .breach, .critical:
            status.breachStreak += 1
            status.criticalStreak = reading.verdict == .critical ? status.criticalStreak + 1 : 0
            if let tier = monitor.critical, status.criticalStreak >= tier.consecutiveWindows, status.firing != .critical {
                status.firing = .critical
                firings.append(MonitorFiring(
                    kind: .firing, severity: .critical, action: tier.action, reading: reading, consecutiveWindows: status.criticalStreak))
            } else if status.firing == nil, status.breachStreak >= monitor.consecutiveWindows {
                status.firing = monitor.severity
                firings.append(MonitorFiring(
                    kind: .firing, severity: monitor.severity, action: monitor.action, reading: reading,
                    consecutiveWindows: status.breachStreak))
            }
        }
        return (status, firings)
    }
}
