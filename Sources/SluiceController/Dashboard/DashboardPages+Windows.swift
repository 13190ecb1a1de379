import SluiceCore

extension DashboardPages {
    /// The change window a model's change waits for and until when (UTC), and a person's
    /// override; empty when nothing holds the model.
    static func windowWait(_ state: RolloutState) -> String {
        var html = ""
        if let wait = state.wait {
            let until = wait.until.map { " until <time datetime=\"\(Timestamp.iso8601($0))\">\(H.time($0)) UTC</time>" } ?? ""
            html += "<p id=\"window-wait\" class=\"Paused\">Waiting (\(H.escape(wait.reason.rawValue)))\(until): \(H.escape(wait.message))</p>"
        }
        if let override = state.windowOverride {
            let until = override.until.map { " until \(H.time($0)) UTC" } ?? ""
            html += "<p id=\"window-override\">Change window overridden by \(H.escape(override.actor)) at \(H.time(override.at)) UTC\(until)</p>"
        }
        return html
    }
}
