import SluiceCore
import SluiceStore

/// The rollout timeline of a model page: the steps of the rollout in progress (their kinds
/// from the manifest when it still describes that rollout), the current one marked with its
/// start time, and the rollout's events in order (started, each step, pauses, approvals
/// awaited and given, the outcome) with their times, from the history.
enum DashboardTimeline {
    typealias H = DashboardHTML

    /// The event kinds a timeline shows (analysis runs have their own charts).
    static let kinds: Set<RolloutEvent.Kind> = [
        .rolloutStarted, .step, .awaitingApproval, .paused, .promoteRequested, .promoted, .aborted, .retry, .superseded,
    ]

    static func html(_ state: RolloutState, steps: [RolloutStep]?, history: [ControllerStore.HistoryEntry]) -> String {
        var html: String
        if let candidate = state.candidate {
            var notes: [String] = ["started \(H.time(candidate.startedAt))", "candidate \(H.escape(candidate.target.primary))"]
            if let ready = candidate.readyAt { notes.append("ready \(H.time(ready))") }
            if let pause = candidate.pauseReason { notes.append("paused: \(H.escape(pause))") }
            if candidate.awaitingPromotion { notes.append("awaiting promotion") }
            html = "<h2>Rollout: step \(DashboardPages.step(state))</h2><p>\(notes.joined(separator: " · "))</p>" + self.steps(candidate, kinds: steps)
        } else {
            html = "<h2>Rollout</h2><p class=\"muted\">No rollout in progress.</p>"
        }
        let events = self.events(history)
        if !events.isEmpty {
            let title = state.candidate == nil ? "Last rollout's events" : "Events of this rollout"
            let items = events.map { entry in
                "<li class=\"event-\(H.escape(entry.kind.rawValue))\"><time>\(H.time(entry.at))</time> <strong>\(H.escape(entry.kind.rawValue))</strong>"
                    + (entry.actor.isEmpty ? "" : " (\(H.escape(entry.actor)))") + ": \(H.escape(entry.message))</li>"
            }.joined()
            html += "<h3>\(title)</h3><ol class=\"timeline\">\(items)</ol>"
        }
        return html
    }

    /// One item per step: passed, current (with its start time and weight) or to come.
    static func steps(_ candidate: RolloutState.Candidate, kinds: [RolloutStep]?) -> String {
        guard let count = candidate.stepCount ?? kinds?.count, count > 0 else { return "" }
        let items = (1...count).map { number -> String in
            let kind = kinds.flatMap { number <= $0.count ? describe($0[number - 1]) : nil }.map { ": \($0)" } ?? ""
            if number == candidate.stepNumber, candidate.step < count {
                let waiting = candidate.awaitingPromotion ? ", waiting for a promotion" : ""
                return "<li class=\"current\" aria-current=\"step\">step \(number)\(kind) (current since \(H.time(candidate.stepStartedAt)), weight \(candidate.weight)%\(waiting))</li>"
            }
            return number < candidate.stepNumber || candidate.step >= count
                ? "<li class=\"muted\">step \(number)\(kind) (passed)</li>" : "<li>step \(number)\(kind)</li>"
        }.joined()
        return "<ol class=\"steps\">\(items)</ol>"
    }

    static func describe(_ step: RolloutStep) -> String {
        switch step {
        case .weight(let weight): return "weight \(weight)%"
        case .pause(let duration): return "pause \(H.escape("\(duration)"))"
        case .approval: return "approval"
        case .shadow(let shadow): return "shadow \(shadow.percent)% for \(H.escape("\(shadow.duration)"))"
        }
    }

    /// The timeline events of the newest rollout in `history` (oldest first): from its
    /// `rolloutStarted` on.
    static func events(_ history: [ControllerStore.HistoryEntry]) -> [ControllerStore.HistoryEntry] {
        guard let start = history.lastIndex(where: { $0.kind == .rolloutStarted }) else { return [] }
        return history[start...].filter { kinds.contains($0.kind) }
    }
}
