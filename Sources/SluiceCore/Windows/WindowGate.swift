/// Whether change windows let a change through now, and if not, until when: Argo CD's rule
/// (deny wins; with any allow window, only inside one) over a model's windows and the operator's.
///
/// Only new rollouts and promotions (step advances, the final switch) wait at a closed
/// gate; rollbacks, fast rollbacks and aborts never do (``RolloutEngine``).
public enum WindowGate: Sendable, Hashable {
    /// Changes may happen.
    case open
    /// Changes wait.
    case closed(Closure)

    /// Why and until when changes wait.
    public struct Closure: Sendable, Hashable {
        /// A deny window is open, or no allow window is.
        public var cause: Cause
        /// When changes may happen again; nil when that is more than a year away.
        public var until: Double?

        /// Creates a closure.
        public init(cause: Cause, until: Double?) {
            self.cause = cause
            self.until = until
        }

        /// `deny window spec.windows[0] ('0 22 * * FRI' for 60h, Europe/Berlin) is open until 2026-12-07T05:00:00Z`.
        public var message: String {
            let when = until.map { "until \(Timestamp.iso8601($0))" } ?? "with no end within a year"
            switch cause {
            case .deny(let window):
                return "deny window \(window.label) ('\(window.window.schedule)' for \(window.window.duration), \(window.window.timeZone)) is open; changes wait \(when)"
            case .outsideAllow:
                return "no allow window is open; changes wait \(when)"
            }
        }
    }

    /// What closes the gate.
    public enum Cause: Sendable, Hashable {
        /// This deny window is open (the first one written, when several are).
        case deny(LabeledWindow)
        /// Allow windows exist and none is open.
        case outsideAllow
    }

    /// Whether changes may happen.
    public var isOpen: Bool { self == .open }

    /// The gate at `now` for `windows` (the operator's and the model's together).
    public static func evaluate(_ windows: [LabeledWindow], at now: Double) -> WindowGate {
        guard !windows.isEmpty else { return .open }
        let denies = windows.filter { $0.window.kind == .deny }, allows = windows.filter { $0.window.kind == .allow }
        var cause: Cause?
        var instant = now
        // Each turn moves past an open deny window or to the next allow window's opening;
        // a bounded number, so windows that never leave a gap end in "no end within a year".
        for _ in 0..<256 {
            if instant - now > ChangeWindow.endHorizon { return .closed(Closure(cause: cause ?? .outsideAllow, until: nil)) }
            let open = denies.filter { $0.window.isOpen(at: instant) }
            if let first = open.first {
                if cause == nil { cause = .deny(first) }
                var latest = instant
                for window in open {
                    guard let end = window.window.end(openAt: instant) else { return .closed(Closure(cause: cause!, until: nil)) }
                    latest = max(latest, end)
                }
                instant = latest
                continue
            }
            if !allows.isEmpty, !allows.contains(where: { $0.window.isOpen(at: instant) }) {
                if cause == nil { cause = .outsideAllow }
                guard let next = allows.compactMap({ $0.window.nextStart(after: instant) }).min() else {
                    return .closed(Closure(cause: cause!, until: nil))
                }
                instant = next
                continue
            }
            guard let cause else { return .open }
            return .closed(Closure(cause: cause, until: instant))
        }
        return .closed(Closure(cause: cause ?? .outsideAllow, until: nil))
    }
}
