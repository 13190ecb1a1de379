/// A change window (`spec.windows[]` in a manifest, `controller.windows[]` in the operator's
/// config), as Argo CD's sync windows have it: from each time the cron `schedule` matches in
/// `timeZone`, for `duration`.
///
/// A `deny` window holds new rollouts and promotions while it is open; when any `allow`
/// window exists, they happen only while one is open; deny wins over allow. Rollbacks and
/// aborts are never held (see ``WindowGate``).
public struct ChangeWindow: Sendable, Hashable, Codable {
    /// Whether the window holds changes or lets them through.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Changes happen only inside an allow window (when any exists).
        case allow
        /// No change happens inside a deny window.
        case deny
    }

    /// Allow or deny.
    public var kind: Kind
    /// When the window opens.
    public var schedule: CronSchedule
    /// How long it stays open each time (elapsed time, whatever the clocks do meanwhile).
    public var duration: Duration
    /// The IANA time zone the schedule is read in (`UTC` by default).
    public var timeZone: String

    /// The time zone written when none is.
    public static let defaultTimeZone = "UTC"

    /// Creates a window.
    public init(kind: Kind, schedule: CronSchedule, duration: Duration, timeZone: String = ChangeWindow.defaultTimeZone) {
        self.kind = kind
        self.schedule = schedule
        self.duration = duration
        self.timeZone = timeZone
    }

    /// `deny 0 22 * * FRI for 2d… (Europe/Berlin)`: the window in one phrase.
    public var summary: String {
        "\(kind.rawValue) '\(schedule)' for \(duration) (\(timeZone))"
    }
}

/// A window and where it was written (`spec.windows[0]`, `controller.windows[1]`), so a
/// status can say which one holds a change.
public struct LabeledWindow: Sendable, Hashable {
    /// Where the window is written.
    public var label: String
    /// The window.
    public var window: ChangeWindow

    /// Creates a labelled window.
    public init(label: String, window: ChangeWindow) {
        self.label = label
        self.window = window
    }

    /// The operator's windows (`controller.windows`) followed by a model's (`spec.windows`).
    public static func combining(operator operatorWindows: [ChangeWindow], model: [ChangeWindow]) -> [LabeledWindow] {
        operatorWindows.enumerated().map { LabeledWindow(label: "controller.windows[\($0.offset)]", window: $0.element) }
            + model.enumerated().map { LabeledWindow(label: "spec.windows[\($0.offset)]", window: $0.element) }
    }
}

extension ChangeWindow {
    /// A window of `spec.windows` or `controller.windows` that passed validation against
    /// ``ManifestSchema/window``; nil if it did not (validation has said why).
    public init?(node: YAMLNode) {
        guard let kind = node.enumeration("kind", as: Kind.self),
              case .success(let schedule)? = node.string("schedule").map(CronSchedule.parse),
              let duration = node.duration("duration")
        else { return nil }
        self.init(kind: kind, schedule: schedule, duration: duration, timeZone: node.string("timeZone") ?? Self.defaultTimeZone)
    }
}
