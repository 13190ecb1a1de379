import Foundation
import SluiceCore
import SluiceStore

/// The dashboard's pages, rendered on the server from the controller's own status types
/// (``RolloutState``, the store's history and measurements, ``MonitorStatus``). Reading
/// works with JavaScript off; pages that show live state refresh themselves.
enum DashboardPages {
    typealias H = DashboardHTML
    /// Seconds between refreshes of the models and model pages.
    static let refresh = 10

    /// The command buttons of an operator session, in the order they are shown.
    static let commands: [(command: DashboardCommand, label: String)] = [
        (.promote, "Promote"), (.promoteFully, "Promote fully"), (.abort, "Abort"), (.retry, "Retry"), (.approve, "Approve"),
    ]

    static func login(error: String? = nil) -> String {
        let message = error.map { "<p class=\"error\">\(H.escape($0))</p>" } ?? ""
        return H.page(title: "Log in", body: """
            <h1>Log in</h1>\(message)
            <form method="post" action="/ui/login"><p><label>Controller or viewer token<br>
            <input type="password" name="token" autocomplete="current-password" required autofocus></label></p>
            <p><button>Log in</button></p></form>
            <p class="muted">The token is sent once; the session lives in an HttpOnly cookie.</p>
            """)
    }

    static func weights(_ state: RolloutState) -> [(name: String, weight: Int)] {
        guard let route = RolloutEngine.route(for: state) else { return [] }
        return route.versions.map { ($0.name, route.weights[$0.name] ?? 0) }
    }

    static func step(_ state: RolloutState) -> String {
        guard let candidate = state.candidate else { return "" }
        return "\(candidate.stepNumber)" + (candidate.stepCount.map { "/\($0)" } ?? "")
    }

    static func models(
        _ states: [RolloutState], error: String?, csrf: String?, link: DashboardCommitLink? = nil, source: SourceVerification? = nil
    ) -> String {
        let rows = states.map { state -> String in
            let page = "/ui/models/\(H.pathSegment(state.name))"
            let verdict = state.currentAnalysis.map { "<span class=\"\($0.verdict.rawValue)\">\(H.escape($0.verdict.rawValue))</span>" } ?? ""
            let revision = state.appliedRevision ?? state.desiredRevision ?? ""
            return """
                <tr><td><a href="\(page)">\(H.escape(state.name))</a></td><td>\(state.isSynced ? "Synced" : "OutOfSync")</td>
                <td class="\(state.health.rawValue)">\(H.escape(state.health.rawValue))</td><td>\(H.escape(state.reason.rawValue))</td>
                <td>\(H.escape(state.stable?.primary ?? ""))</td><td>\(H.escape(state.candidate?.target.primary ?? ""))</td>
                <td>\(H.bar(weights(state)))</td><td>\(step(state))</td><td>\(verdict)</td>
                <td>\(DashboardCommitLink.html(revision, link: link))</td></tr>
                """
        }.joined(separator: "\n")
        var problem = error.map { "<p class=\"error\">Last pass: \(H.escape($0))</p>" } ?? ""
        if let source, source.status == .unverified {
            problem += "<p class=\"error\" id=\"source\">Source Unverified: \(H.escape(source.message ?? ""))</p>"
        }
        return H.page(title: "Models", body: """
            <h1>Models</h1><div id="models" data-live>\(problem)
            <div class="scroll"><table><thead><tr><th>Model</th><th>Sync</th><th>Health</th><th>Reason</th><th>Stable</th><th>Candidate</th>
            <th>Weights</th><th>Step</th><th>Last analysis</th><th>Revision</th></tr></thead><tbody>
            \(rows.isEmpty ? "<tr><td colspan=\"10\" class=\"muted\">No models yet.</td></tr>" : rows)
            </tbody></table></div></div>
            """, refresh: refresh, logout: csrf)
    }

    /// What a model page shows, gathered from the controller.
    struct ModelView {
        var state: RolloutState
        var measurements: [ControllerStore.MeasurementEntry]
        var monitors: [MonitorStatus]
        /// Monitor readings over time, oldest first.
        var readings: [MonitorReading] = []
        /// The steps of the rollout in progress, when the manifest still describes it.
        var steps: [RolloutStep]? = nil
        /// Links revisions to their commits, when the repository is on a known host.
        var link: DashboardCommitLink? = nil
        /// The head commit's plan for this model.
        var plan: Controller.HeadPlan? = nil
        var history: [ControllerStore.HistoryEntry]
    }

    static func model(_ view: ModelView, role: APIRole, csrf: String?) -> String {
        let state = view.state
        var body = "<p><span class=\"\(state.health.rawValue)\">\(H.escape(state.health.rawValue))</span> · \(H.escape(state.reason.rawValue)) · \(H.escape(state.message))</p>"
        body += windowWait(state)
        if let revision = state.appliedRevision ?? state.desiredRevision {
            body += "<p>Revision \(DashboardCommitLink.html(revision, link: view.link))</p>"
        }
        body += "<h2>Split</h2>\(H.bar(weights(state)))"
        body += DashboardTimeline.html(state, steps: view.steps, history: view.history)
        if let analysis = state.currentAnalysis {
            body += "<h2>Last analysis</h2><p><span class=\"\(analysis.verdict.rawValue)\">\(H.escape(analysis.verdict.rawValue))</span> at \(H.time(analysis.at)): \(H.escape(analysis.summary))</p>"
        }
        body += measurements(view.measurements)
        body += monitors(view.monitors)
        body += DashboardMonitorCharts.html(view.readings)
        if let shadow = state.lastShadow { body += self.shadow(shadow) }
        if let plan = view.plan { body += self.plan(plan, link: view.link) }
        // The live parts are swapped by DashboardScript; the action forms between them stay put.
        var page = "<h1>\(H.escape(state.name))</h1><div id=\"model-state\" data-live>\(body)</div>"
        if role.allows(ControllerRoutes.dashboardAction.requiredRole ?? .admin), let csrf { page += actions(state.name, monitors: view.monitors, csrf: csrf) }
        page += "<div id=\"model-history\" data-live>\(history(view.history, link: view.link))</div>"
        return H.page(title: state.name, body: page, refresh: refresh, logout: csrf)
    }

    static func measurements(_ entries: [ControllerStore.MeasurementEntry]) -> String {
        guard !entries.isEmpty else { return "<h2>Analysis measurements</h2><p class=\"muted\">None recorded.</p>" }
        var metrics: [String] = []
        for entry in entries where !metrics.contains(entry.metric) { metrics.append(entry.metric) }
        let charts = metrics.map { metric -> String in
            let series = entries.filter { $0.metric == metric }
            let points = series.compactMap { entry in
                entry.value.map {
                    DashboardChart.Point(at: entry.at, value: $0, tone: entry.verdict, label: "\(H.time(entry.at)) \(H.number($0)) \(entry.verdict) at \(entry.weight)%")
                }
            }
            let threshold = series.last.flatMap { DashboardChart.thresholdValue($0.threshold) }
            return DashboardChart(title: "\(metric) (threshold \(series.last?.threshold ?? ""))", points: points, threshold: threshold).svg()
        }.joined()
        let rows = entries.reversed().map { entry in
            "<tr><td>\(H.time(entry.at))</td><td>\(H.escape(entry.metric))</td><td>\(entry.value.map(H.number) ?? "–")</td><td>\(entry.stableValue.map(H.number) ?? "–")</td><td>\(H.escape(entry.threshold))</td><td class=\"\(H.escape(entry.verdict))\">\(H.escape(entry.verdict))</td><td>\(entry.weight)%</td><td>\(H.escape(entry.detail))</td></tr>"
        }.joined()
        return """
            <h2>Analysis measurements</h2>\(charts)
            <div class="scroll"><table><thead><tr><th>At</th><th>Metric</th><th>Value</th><th>Stable</th><th>Threshold</th><th>Verdict</th><th>Weight</th><th>Detail</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """
    }

    static func monitors(_ statuses: [MonitorStatus]) -> String {
        guard !statuses.isEmpty else { return "" }
        let rows = statuses.map { status in
            let latest = status.latest
            return "<tr><td>\(H.escape(status.monitor))</td><td>\(H.escape(status.version))</td><td class=\"\(status.firing == nil ? "Healthy" : "Degraded")\">\(H.escape(status.firing?.rawValue ?? "ok"))</td><td>\(latest?.value.map(H.number) ?? "–")</td><td>\(H.escape(latest?.comparator ?? "")) \(latest?.threshold.map(H.number) ?? "–")</td><td>\(latest?.samples ?? 0)</td><td>\(status.breachStreak)</td></tr>"
        }.joined()
        return """
            <h2>Monitors (latest reading)</h2><div class="scroll"><table><thead><tr><th>Monitor</th><th>Version</th><th>Firing</th><th>Value</th>
            <th>Threshold</th><th>Samples</th><th>Breach streak</th></tr></thead><tbody>\(rows)</tbody></table></div>
            """
    }

    /// `sluice plan`'s text for the model at the head commit.
    static func plan(_ plan: Controller.HeadPlan, link: DashboardCommitLink?) -> String {
        let title = "<h2>Plan of the head commit \(DashboardCommitLink.html(plan.revision, link: link))</h2>"
        guard plan.changed else { return title + "<p class=\"muted\">The head commit does not change this model.</p>" }
        return title + "<pre class=\"scroll\">\(H.escape(plan.text))</pre>"
    }

    static func shadow(_ shadow: ShadowSummary) -> String {
        var parts = ["\(shadow.percent)% mirrored", "verdict \(H.escape(shadow.verdict.rawValue))", "\(shadow.pairs) pairs", "\(shadow.shed) shed"]
        if let version = shadow.version { parts.insert("to \(H.escape(version))", at: 1) }
        if let agreement = shadow.agreement {
            parts.append("agreement \(H.number(agreement))" + (shadow.agreementMin.map { " (min \(H.number($0)))" } ?? ""))
        }
        return "<h2>Shadow</h2><p>\(parts.joined(separator: " · "))</p>"
    }

    static func history(_ entries: [ControllerStore.HistoryEntry], link: DashboardCommitLink? = nil) -> String {
        let rows = entries.reversed().map { entry in
            "<tr><td>\(H.time(entry.at))</td><td>\(H.escape(entry.kind.rawValue))</td><td>\(H.escape(entry.actor))</td><td>\(H.escape(entry.message))</td><td>\(DashboardCommitLink.html(entry.revision, link: link))</td></tr>"
        }.joined()
        return """
            <h2>History</h2><div class="scroll"><table><thead><tr><th>At</th><th>Event</th><th>Actor</th><th>Message</th><th>Revision</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """
    }

    /// One form per command; each needs its confirmation box ticked (checked by the
    /// browser with `required`, and again by the server).
    static func actions(_ model: String, monitors: [MonitorStatus], csrf: String) -> String {
        let forms = commands.map { command, label -> String in
            var extra = ""
            if command == .approve {
                let names = Array(Set(monitors.map(\.monitor))).sorted()
                extra = names.isEmpty
                    ? "<input name=\"monitor\" placeholder=\"monitor\" required>"
                    : "<select name=\"monitor\">" + names.map { "<option>\(H.escape($0))</option>" }.joined() + "</select>"
            }
            return """
                <form method="post" action="/ui/models/\(H.pathSegment(model))/\(command.rawValue)"><input type="hidden" name="csrf" value="\(H.escape(csrf))">\(extra)
                <label><input type="checkbox" name="confirm" value="yes" required> confirm</label> <button>\(label)</button></form>
                """
        }.joined()
        return "<h2>Actions</h2><div class=\"actions\">\(forms)</div>"
    }

    static func message(_ title: String, _ text: String, back: String, csrf: String?) -> String {
        H.page(title: title, body: "<h1>\(H.escape(title))</h1><p>\(H.escape(text))</p><p><a href=\"\(back)\">Back</a></p>", logout: csrf)
    }
}

/// A command the dashboard's action forms send (`POST /ui/models/{model}/{command}`).
enum DashboardCommand: String, Sendable {
    case promote
    case promoteFully = "promote-fully"
    case abort
    case retry
    case approve

    /// The controller command it stands for, with `actor` recorded in the history.
    func command(model: String, monitor: String?, actor: String) -> Controller.Command? {
        switch self {
        case .promote: return .promote(model: model, full: false, actor: actor)
        case .promoteFully: return .promote(model: model, full: true, actor: actor)
        case .abort: return .abort(model: model, actor: actor)
        case .retry: return .retry(model: model, actor: actor)
        case .approve:
            guard let monitor, !monitor.isEmpty else { return nil }
            return .approve(model: model, monitor: monitor, actor: actor)
        }
    }
}
